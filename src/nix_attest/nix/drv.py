"""Parse every shape of derivation JSON that Nix has printed into :class:`Derivation` records.

Shapes (Nix manual, "Derivation JSON Format"):
  v1  (Nix <= 2.17, e.g. 2.8): ``{drvPath: {outputs: {o: {path, hashAlgo: "r:sha256", hash}},
      inputSrcs, inputDrvs: {drv: [outputs]}, env, ...}}``
  v2  separate ``method`` and ``hashAlgo`` in output specs; ``inputDrvs`` values may be
      ``{outputs: [...], dynamicOutputs: {}}``
  v3  (Nix 2.32) store paths as base names without the store directory, ``version: 3``
  v4  ``version: 4``; ``inputs: {drvs: {p: {outputs, dynamicOutputs}}, srcs: [...]}``; the whole
      result wrapped as ``{"derivations": {...}}``; FOD hashes may be ``{algorithm, format, hash}``
  v5  like v4 plus ``options`` (ignored here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .hashes import to_hex
from .names import STORE_DIR, absolute


@dataclass(frozen=True, slots=True)
class DrvOutput:
    name: str
    path: str | None  # None for content-addressed / deferred outputs
    method: str | None = None  # FOD: "flat" | "nar" | "text" | "git"
    hash_algo: str | None = None
    hash_hex: str | None = None


@dataclass(frozen=True, slots=True)
class Derivation:
    path: str
    name: str
    system: str
    outputs: tuple[DrvOutput, ...]
    input_drvs: Mapping[str, tuple[str, ...]]  # drv path -> output names
    input_srcs: tuple[str, ...]
    env: Mapping[str, str]

    @property
    def main_output(self) -> DrvOutput | None:
        for o in self.outputs:
            if o.name == "out":
                return o
        return self.outputs[0] if self.outputs else None

    @property
    def fixed_output(self) -> DrvOutput | None:
        main = self.main_output
        if main is not None and main.hash_hex and len(self.outputs) == 1:
            return main
        return None


def parse_derivations(doc: Any, store_dir: str = STORE_DIR) -> dict[str, Derivation]:
    """Parse the output of ``nix show-derivation -r`` / ``nix derivation show -r`` (any version)."""
    if not isinstance(doc, dict):
        raise InputError("derivation JSON: expected an object")
    if isinstance(doc.get("derivations"), dict):  # v4+: wrapped
        doc = doc["derivations"]
    result: dict[str, Derivation] = {}
    for key, value in doc.items():
        if not isinstance(value, dict):
            raise InputError(f"derivation JSON: entry {key!r} is not an object")
        try:
            drv = parse_derivation(absolute(key, store_dir), value, store_dir)
        except (AttributeError, TypeError, ValueError, OverflowError) as exc:  # a shape no Nix writes
            raise InputError(f"derivation JSON: entry {key!r} is malformed ({type(exc).__name__})") from exc
        result[drv.path] = drv
    return result


def parse_derivation(path: str, d: Mapping[str, Any], store_dir: str = STORE_DIR) -> Derivation:
    env: dict[str, str] = d.get("env") or {}  # JSON strings already
    outputs = tuple(
        _parse_output(name, spec or {}, store_dir, env.get(name))
        for name, spec in sorted((d.get("outputs") or {}).items())
    )
    inputs = d.get("inputs")
    if isinstance(inputs, dict):  # v4+
        raw_drvs = inputs.get("drvs") or {}
        raw_srcs = inputs.get("srcs") or []
    else:
        raw_drvs = d.get("inputDrvs") or {}
        raw_srcs = d.get("inputSrcs") or []
    input_drvs: dict[str, tuple[str, ...]] = {}
    for drv, spec in raw_drvs.items():
        # v1: a list of output names; v2+: {outputs: [...], dynamicOutputs: {...}}
        names = (spec.get("outputs") if isinstance(spec, dict) else spec) or []
        input_drvs[absolute(drv, store_dir)] = tuple(sorted(names))
    name = str(d.get("name") or env.get("name") or path.rsplit("/", 1)[-1][33:].removesuffix(".drv"))
    return Derivation(
        path=path,
        name=name,
        system=str(d.get("system") or env.get("system") or ""),
        outputs=outputs,
        input_drvs=dict(sorted(input_drvs.items())),
        input_srcs=tuple(sorted(absolute(s, store_dir) for s in raw_srcs)),
        env=env,
    )


def _parse_output(name: str, spec: Mapping[str, Any], store_dir: str, env_path: str | None) -> DrvOutput:
    # v4 may omit a fixed output's path; the builder environment still names it
    raw_path = spec.get("path") or (env_path if env_path and env_path.startswith(store_dir + "/") else None)
    path = absolute(str(raw_path), store_dir) if raw_path else None
    method = spec.get("method")
    algo = spec.get("hashAlgo")
    raw_hash = spec.get("hash")
    if isinstance(algo, str) and method is None:  # v1: "r:sha256" = recursive (NAR), "text:sha256"
        if algo.startswith("r:"):
            method, algo = "nar", algo[2:]
        elif algo.startswith("text:"):
            method, algo = "text", algo[5:]
        elif algo.startswith("git:"):
            method, algo = "git", algo[4:]
        else:
            method = "flat"
    hash_hex: str | None = None
    if isinstance(raw_hash, dict):  # v4: {algorithm, format, hash}
        algo = str(raw_hash.get("algorithm") or algo or "")
        fmt = raw_hash.get("format")
        value = str(raw_hash.get("hash") or "")
        if fmt == "base16":
            hash_hex = value.lower()
        else:
            _, hash_hex = to_hex(value, algo or None)
    elif isinstance(raw_hash, str) and raw_hash:
        parsed_algo, hash_hex = to_hex(raw_hash, str(algo) if algo else None)
        algo = algo or parsed_algo
    if method == "recursive":
        method = "nar"
    return DrvOutput(
        name=name,
        path=path,
        method=str(method) if method and hash_hex else None,
        hash_algo=str(algo) if algo and hash_hex else None,
        hash_hex=hash_hex,
    )
