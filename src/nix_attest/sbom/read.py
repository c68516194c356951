"""Parse a CycloneDX JSON SBOM (ours, or another tool's) back into the :class:`Sbom` model.

Ours round-trips exactly; for other producers, what they do not say stays unknown."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

from ..errors import InputError
from ..nix.names import store_path_name
from ..untrusted import MAX_SBOM_BYTES, json_problem, loads_json, read_input_text
from .model import (
    Acknowledgement,
    Closure,
    Component,
    ComponentKind,
    FixedOutput,
    FlakeInfo,
    FlakeInput,
    Hash,
    License,
    OutputCheck,
    Party,
    Patch,
    Sbom,
    SbomMeta,
)
from .validate import schema_errors

P = "nix-attest:"
_KINDS = {"application", "library", "file"}


def load_sbom(path: str | Path) -> Sbom:
    return from_document(load_document(path), source=str(path))


def loads_sbom(text: str, *, source: str = "SBOM") -> Sbom:
    return from_document(loads_document(text, source=source), source=source)


def load_document(path: str | Path) -> dict[str, Any]:
    """The CycloneDX JSON document in ``path`` as data (not yet schema-checked)."""
    try:
        text = read_input_text(path, MAX_SBOM_BYTES)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise InputError(f"cannot read SBOM {path}: {reason}") from exc
    return loads_document(text, source=str(path))


def loads_document(text: str, *, source: str = "SBOM") -> dict[str, Any]:
    """The JSON document in ``text`` (CycloneDX or SPDX 2.3; not yet checked)."""
    try:
        doc = loads_json(text)
    except ValueError as exc:
        raise InputError(f"{source} is {json_problem(exc)}") from exc
    sbom_format(doc, source)
    return cast(dict[str, Any], doc)


def sbom_format(doc: Any, source: str = "SBOM") -> str:
    """``cyclonedx`` or ``spdx``, from the document's own header."""
    if isinstance(doc, dict) and doc.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    if isinstance(doc, dict) and isinstance(doc.get("spdxVersion"), str):
        return "spdx"
    raise InputError(f"{source} is neither a CycloneDX JSON document (bomFormat) nor SPDX JSON (spdxVersion)")


def from_document(doc: Any, *, source: str = "SBOM") -> Sbom:
    """Check the document (CycloneDX: against the schema of its specVersion; SPDX: the structure
    nix-attest relies on), then read it. SPDX is rearranged into the CycloneDX shape first
    (``spdx.to_cyclonedx_shape``), so one reader serves both formats."""
    if sbom_format(doc, source) == "spdx":
        from . import spdx

        problems = spdx.structural_errors(doc, limit=1)
        if problems:
            raise InputError(f"{source} is not valid SPDX 2.3: {problems[0]}")
        return _read(spdx.to_cyclonedx_shape(doc), source)
    spec = str(doc.get("specVersion"))
    problems = schema_errors(doc, spec, limit=1)
    if problems:
        raise InputError(f"{source} is not valid CycloneDX {spec}: {problems[0]}")
    return _read(doc, source)


def _read(doc: dict[str, Any], source: str) -> Sbom:
    metadata = doc.get("metadata") or {}
    root_doc = metadata.get("component")
    if not isinstance(root_doc, dict):
        raise InputError(f"{source} has no metadata.component (the root)")
    doc_props = _props(metadata.get("properties"))
    closure = cast(Closure, _first(doc_props, f"{P}closure") or "runtime")
    system = _first(doc_props, f"{P}system")
    root = _component(root_doc, default_closure=closure, system=system)
    components = tuple(
        sorted(
            (_component(c, default_closure=closure, system=system) for c in doc.get("components") or []),
            key=lambda c: c.ref,
        )
    )
    deps: dict[str, tuple[str, ...]] = {}
    for d in doc.get("dependencies") or []:
        ref = d.get("ref")
        if isinstance(ref, str):
            deps[ref] = tuple(sorted(str(x) for x in d.get("dependsOn") or []))
    tools = metadata.get("tools") or {}
    tool_list = tools.get("components") if isinstance(tools, dict) else tools
    tool_version, nix_version = "", None
    for t in tool_list or []:
        if t.get("name") == "nix-attest":
            tool_version = str(t.get("version") or "")
        elif t.get("name") == "nix":
            nix_version = str(t.get("description") or t.get("version") or "") or None
    checks = None
    if f"{P}reproducible" in doc_props:
        checks = tuple(
            OutputCheck(path=line.rsplit(" ", 1)[0], reproducible=line.endswith(" identical"))
            for line in doc_props.get(f"{P}reproducible:output", [])
        )
    meta = SbomMeta(
        installable=_first(doc_props, f"{P}installable") or root.name,
        closure=closure,
        tool_version=tool_version,
        nix_version=nix_version,
        system=system,
        flake=_flake(doc_props),
        timestamp=metadata.get("timestamp"),
        timestamp_source=_first(doc_props, f"{P}timestamp:source"),
        reproducibility=checks,
        serial_number=doc.get("serialNumber"),
        authors=_authors(metadata),
        complete=_complete(doc, root.ref),
    )
    return Sbom(root=root, components=components, dependencies=dict(sorted(deps.items())), meta=meta)


def _props(items: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for p in items or []:
        name, value = p.get("name"), p.get("value")
        if isinstance(name, str) and isinstance(value, str):
            out[name].append(value)
    return out


def _first(props: dict[str, list[str]], name: str) -> str | None:
    values = props.get(name)
    return values[0] if values else None


def _ack(value: Any) -> Acknowledgement | None:
    return cast(Acknowledgement, value) if value in ("declared", "concluded") else None


def _licenses(items: Any) -> tuple[License, ...]:
    out = []
    for item in items or []:
        if "expression" in item:
            out.append(
                License(expression=str(item["expression"]), acknowledgement=_ack(item.get("acknowledgement")))
            )
            continue
        lic = item.get("license") or {}
        ack = _ack(lic.get("acknowledgement"))
        if lic.get("id"):
            out.append(License(expression=str(lic["id"]), url=lic.get("url"), acknowledgement=ack))
        elif lic.get("name") or lic.get("url"):
            out.append(License(name=lic.get("name"), url=lic.get("url"), acknowledgement=ack))
    return tuple(out)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _party(entity: Any) -> Party | None:
    """A CycloneDX organizationalEntity as a :class:`Party` (first URL; contacts as parties)."""
    if not isinstance(entity, dict):
        return None
    urls = entity.get("url")
    url = _text(urls[0]) if isinstance(urls, list) and urls else None
    contacts = tuple(
        Party(name=_text(c.get("name")), email=_text(c.get("email")))
        for c in entity.get("contact") or []
        if isinstance(c, dict)
    )
    if len(contacts) == 1 and contacts[0].name is None and entity.get("name") is not None:
        return Party(name=_text(entity.get("name")), url=url, email=contacts[0].email)
    party = Party(name=_text(entity.get("name")), url=url, contacts=contacts)
    return party if party != Party() else None


def _authors(metadata: dict[str, Any]) -> tuple[Party, ...]:
    """``metadata.authors``, with the URL of ``manufacturer`` (1.6+) or ``manufacture`` (1.5)."""
    entity = _party(metadata.get("manufacturer") or metadata.get("manufacture"))
    out = []
    for a in metadata.get("authors") or []:
        if isinstance(a, dict):
            name, email = _text(a.get("name")), _text(a.get("email"))
            url = entity.url if entity and entity.name == name else None
            out.append(Party(name=name, url=url, email=email))
    return tuple(out)


def _complete(doc: dict[str, Any], root_ref: str) -> bool:
    """Whether the document says its inventory from the root is complete."""
    for comp in doc.get("compositions") or []:
        if (
            isinstance(comp, dict)
            and comp.get("aggregate") == "complete"
            and root_ref in (comp.get("assemblies") or [])
        ):
            return True
    return False


def _component(c: dict[str, Any], *, default_closure: Closure, system: str | None) -> Component:
    """One component; a derivation's system and outputs default to the document's system and ``out``
    (the writer leaves those out when they are the common case)."""
    props = _props(c.get("properties"))
    closure_text = _first(props, f"{P}closure")
    if closure_text:
        closures = tuple(sorted(cast(Closure, x) for x in closure_text.split(",") if x))
    else:
        scope = c.get("scope")
        closures = (
            ("runtime",)
            if scope in (None, "required") and default_closure == "runtime"
            else (default_closure,)
        )
    fod = None
    method = _first(props, "nix:fod:method")
    if method:
        algo, hex_digest = "sha256", _first(props, "nix:fod:sha256") or ""
        other = _first(props, f"{P}fod:hash")
        if other and ":" in other:
            algo, hex_digest = other.split(":", 1)
        fod = FixedOutput(
            method=method,
            algo=algo,
            hash_hex=hex_digest,
            urls=tuple(props.get("nix:fod:url", [])),
            rev=_first(props, "nix:fod:rev"),
        )
    homepage = next(
        (r.get("url") for r in c.get("externalReferences") or [] if r.get("type") == "website"), None
    )
    kind = c.get("type")
    size = _first(props, "nix:narinfo:nar_size")
    reproducible = _first(props, f"{P}reproducible")
    ref = str(c.get("bom-ref") or c.get("purl") or c.get("name"))
    outputs = _first(props, f"{P}outputs")
    drv_path = _first(props, f"{P}drv_path")
    supplier = _party(c.get("supplier"))
    return Component(
        ref=ref,
        name=str(c.get("name") or ""),
        version=c.get("version"),
        store_path=_first(props, "nix:store_path") or ref,
        kind=cast(ComponentKind, kind if kind in _KINDS else "library"),
        purl=c.get("purl"),
        drv_path=drv_path,
        closures=closures,
        description=c.get("description"),
        homepage=homepage,
        licenses=_licenses(c.get("licenses")),
        cpe=c.get("cpe"),
        hashes=tuple(Hash(str(h.get("alg")), str(h.get("content")).lower()) for h in c.get("hashes") or []),
        nar_hash=_first(props, "nix:narinfo:nar_hash"),
        nar_size=int(size) if size and size.isdigit() else None,
        deriver=_first(props, "nix:narinfo:deriver"),
        fixed_output=fod,
        metadata_found=_first(props, f"{P}metadata") != "unavailable",
        reproducible=None if reproducible is None else reproducible == "true",
        system=_first(props, f"{P}system") or (system if drv_path else None),
        outputs=tuple(outputs.split(",")) if outputs else (("out",) if drv_path else ()),
        cpe_source=_first(props, f"{P}cpe:source"),
        cpe_candidates=tuple(props.get(f"{P}cpe:candidate", [])),
        patches=_patches(c.get("pedigree")),
        known_vulnerabilities=tuple(props.get(f"{P}known_vulnerability", [])),
        supplier=supplier,
        license_from=_first(props, f"{P}license:concluded_from"),
    )


def _patches(pedigree: Any) -> tuple[Patch, ...]:
    out = []
    for p in (pedigree or {}).get("patches") or [] if isinstance(pedigree, dict) else []:
        if not isinstance(p, dict):
            continue
        url = (p.get("diff") or {}).get("url")
        resolves = tuple(
            sorted(
                str(r["id"])
                for r in p.get("resolves") or []
                if isinstance(r, dict) and r.get("type") == "security" and r.get("id")
            )
        )
        name = store_path_name(url) if isinstance(url, str) else ""
        out.append(Patch(name=name, path=url if isinstance(url, str) else None, resolves=resolves))
    return tuple(out)


def _flake(props: dict[str, list[str]]) -> FlakeInfo | None:
    original = _first(props, f"{P}flake:original_url")
    if original is None:
        return None
    inputs = []
    for raw in props.get(f"{P}flake:input", []):
        try:
            d = json.loads(raw)
        except json.JSONDecodeError:
            continue
        inputs.append(
            FlakeInput(
                name=str(d.get("name")),
                locked_url=str(d.get("url")),
                rev=d.get("rev"),
                nar_hash=d.get("narHash"),
            )
        )
    lm = _first(props, f"{P}flake:last_modified")
    return FlakeInfo(
        original_url=original,
        locked_url=_first(props, f"{P}flake:locked_url"),
        rev=_first(props, f"{P}flake:rev"),
        nar_hash=_first(props, f"{P}flake:nar_hash"),
        last_modified=int(lm) if lm and lm.isdigit() else None,
        inputs=tuple(inputs),
    )
