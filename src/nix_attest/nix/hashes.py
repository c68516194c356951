"""Hash encodings Nix prints: base16, Nix base32, base64 and SRI, to lower-case hex."""

from __future__ import annotations

import base64
import binascii

from ..errors import InputError

_NIX32 = "0123456789abcdfghijklmnpqrsvwxyz"
_NIX32_INDEX = {c: i for i, c in enumerate(_NIX32)}
_SIZES = {"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}


def nix32_decode(text: str, size: int) -> bytes:
    """Decode Nix's base32 (its own alphabet, least significant bits first from the end)."""
    out = bytearray(size)
    n_chars = len(text)
    for k, ch in enumerate(text):
        digit = _NIX32_INDEX.get(ch)
        if digit is None:
            raise ValueError(f"invalid character {ch!r} in Nix base32 hash")
        n = n_chars - 1 - k
        b = n * 5
        i, j = divmod(b, 8)
        out[i] |= (digit << j) & 0xFF
        if i + 1 < size:
            out[i + 1] |= digit >> (8 - j)
        elif digit >> (8 - j):
            raise ValueError("Nix base32 hash has bits beyond its size")
    return bytes(out)


def to_hex(text: str, algo: str | None = None) -> tuple[str, str]:
    """Return ``(algo, hex)`` for a hash in any of Nix's encodings.

    Accepts ``sha256:<base32|hex|base64>``, SRI ``sha256-<base64>``, or a bare digest when ``algo`` is
    given (hex, Nix base32 or base64 told apart by length)."""
    value = text.strip()
    if ":" in value:
        algo, value = value.split(":", 1)
    elif "-" in value and value.split("-", 1)[0] in _SIZES:
        algo, value = value.split("-", 1)
        return algo, _b64_hex(value, algo)
    if algo is None or algo not in _SIZES:
        raise InputError(f"unsupported hash {text!r}: expected one of {', '.join(sorted(_SIZES))}")
    size = _SIZES[algo]
    try:
        if len(value) == size * 2:
            return algo, bytes.fromhex(value).hex()
        if len(value) == (size * 8 - 1) // 5 + 1:
            return algo, nix32_decode(value, size).hex()
        return algo, _b64_hex(value, algo)
    except ValueError as exc:
        raise InputError(f"malformed {algo} hash {text!r}: {exc}") from exc


def _b64_hex(value: str, algo: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(f"malformed {algo} hash {value!r}: not base64") from exc
    if len(raw) != _SIZES[algo]:
        raise InputError(f"malformed {algo} hash {value!r}: wrong length")
    return raw.hex()
