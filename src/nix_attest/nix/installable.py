"""What the user asked for: a flake reference, a legacy file attribute, a store path or a .drv."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import UsageError
from .names import STORE_DIR

Kind = Literal["flake", "file", "store-path", "drv"]


@dataclass(frozen=True, slots=True)
class Installable:
    kind: Kind
    text: str  # as given ("." , ".#pkg", "/nix/store/...", attribute for -f)
    file: str | None = None  # for kind == "file"

    @property
    def args(self) -> list[str]:
        """The installable as `nix` CLI arguments, to go after every flag: ``--`` ends Nix's options, so
        an installable can never be read as one (``--impure``)."""
        if self.kind == "file":
            assert self.file is not None
            return ["--file", self.file, "--", self.text]
        return ["--", self.text]

    @property
    def flake_ref(self) -> str | None:
        """The flake part (before ``#``) for kind == "flake"."""
        if self.kind != "flake":
            return None
        return self.text.split("#", 1)[0] or "."

    @property
    def evaluable(self) -> bool:
        return self.kind in ("flake", "file")

    def describe(self) -> str:
        return f"-f {self.file} -A {self.text}" if self.kind == "file" else self.text


def reject_option_like(value: str | None) -> None:
    """An installable starting with ``-`` is refused (exit 2): Nix would read it as an option."""
    if value and value.startswith("-"):
        raise UsageError(f"installable {value!r} starts with '-': Nix would read it as an option")


def parse_installable(text: str | None, *, file: str | None = None, attr: str | None = None) -> Installable:
    """Classify the installable. ``file``/``attr`` are the legacy ``-f FILE -A ATTR`` form."""
    for value in (text, attr):
        reject_option_like(value)
    if file is not None:
        if file.startswith("-"):
            file = f"./{file}"
        if text and attr:
            raise UsageError("give either INSTALLABLE or -A ATTR with -f FILE, not both")
        if not Path(file).exists():
            raise UsageError(f"Nix file not found: {file}")
        return Installable("file", attr or text or "", file=file)
    if attr is not None:
        raise UsageError("-A ATTR needs -f FILE")
    if not text:
        raise UsageError(
            "missing INSTALLABLE (a flake ref like .#pkg, -f FILE -A attr, a store path or .drv)"
        )
    if text.startswith(STORE_DIR + "/") and "#" not in text:
        path = text.rstrip("/")
        if path.endswith(".drv") or path.endswith(".drv^*"):
            return Installable("drv", path.removesuffix("^*"))
        return Installable("store-path", path)
    if text.endswith(".nix") and "#" not in text and Path(text).is_file():
        return Installable("file", "", file=text)
    return Installable("flake", text)
