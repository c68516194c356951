"""Serialise an :class:`Sbom` to SPDX 2.3 JSON, byte-deterministically, and read one back.

Mapping (docs/sbom.md has the full table): one package per component (``SPDXID`` from the store
path's name, ``packageFileName`` = the store path), ``supplier`` (``NOASSERTION`` when unknown),
``downloadLocation`` (a fixed-output source's URL), ``checksums`` (the file hashes only, as in
CycloneDX), ``licenseDeclared`` / ``licenseConcluded`` (one expression each, ``NOASSERTION`` when
none), ``externalRefs`` (purl, CPE 2.3), ``primaryPackagePurpose``. Edges: ``DEPENDS_ON`` in a
runtime SBOM (a path's references), ``BUILD_DEPENDENCY_OF`` in a buildtime SBOM (a derivation's
inputs); ``DESCRIBES`` names the root. What SPDX 2.3 has no field for (the Nix properties of the
CycloneDX taxonomy, patches) travels in one ``OTHER`` annotation per package by nix-attest, whose
comment is the CycloneDX ``properties`` (and ``pedigree``) of that component as JSON, so the reader
gets back exactly what it wrote.

Written by hand from plain dicts: spdx-tools' writer took 8.6 s for 20,000 packages (model 1.0 s,
JSON 7.6 s without validation; its validation is quadratic) against a 1.5x budget over the whole
CycloneDX run (bench/README.md). The tests validate what this writes with spdx-tools' parser and
validator, and round-trip it through the reader.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from .. import TOOL_NAME, TOOL_URL
from ..errors import InputError
from ..gcpause import without_gc
from . import cyclonedx
from .model import Component, License, Party, Sbom

SPDX_VERSION = "SPDX-2.3"
SPEC_VERSIONS = ("2.3",)
PREDICATE_TYPE = "https://spdx.dev/Document"
NOASSERTION = "NOASSERTION"
DOCUMENT_ID = "SPDXRef-DOCUMENT"
ANNOTATION = "nix-attest:cyclonedx "  # prefix of the annotation that carries the CycloneDX extras
_ALGS = {"SHA-256": "SHA256", "SHA-512": "SHA512", "SHA-1": "SHA1", "MD5": "MD5", "SHA-384": "SHA384"}
_PURPOSE = {"application": "APPLICATION", "library": "LIBRARY", "file": "FILE"}
_ID_CHARS = re.compile(r"[^A-Za-z0-9.-]")
_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
_NAMESPACE = f"{TOOL_URL}/spdx/"


def spdx_id(ref: str) -> str:
    """``SPDXRef-`` and the store path's base name (hash included, so it is unique), with characters
    SPDX ids do not allow replaced by ``-``."""
    return "SPDXRef-" + _ID_CHARS.sub("-", ref.rstrip("/").rsplit("/", 1)[-1] or "root")


def _ids(refs: Iterable[str]) -> dict[str, str]:
    """An SPDX id per ref; a (foreign) ref that maps to an id already taken gets a counter."""
    out: dict[str, str] = {}
    taken: set[str] = {DOCUMENT_ID}
    for ref in refs:
        base = spdx_id(ref)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate)
        out[ref] = candidate
    return out


def actor(p: Party) -> str:
    """An SPDX actor: ``Organization: name (email)``; only contacts known: ``Person: name (email)``."""
    email = p.email or next((c.email for c in p.contacts if c.email), None)
    if p.name or p.url:
        name = p.name or p.url or ""
        return f"Organization: {_actor_text(name)}" + (f" ({_actor_text(email)})" if email else "")
    person = next((c for c in p.contacts if c.name or c.email), None)
    if person is None:
        return NOASSERTION
    return f"Person: {_actor_text(person.name or person.email or '')}" + (
        f" ({_actor_text(person.email)})" if person.email else ""
    )


def _actor_text(text: str) -> str:
    """Parentheses and line breaks would change how an actor string parses."""
    return re.sub(r"[()\r\n]", " ", text).strip()


@lru_cache(maxsize=4096)
def _supplier(p: Party | None) -> str:
    return actor(p) if p is not None else NOASSERTION


def _license_ref(name: str) -> str:
    """``LicenseRef-`` and the name in the characters SPDX allows; a name that had to change (or be
    shortened) gets a digest of itself, so two names never share a ref (and its extracted text)."""
    slug = _ID_CHARS.sub("-", name).strip("-")[:64].strip("-") or "unknown"
    if slug == name:
        return "LicenseRef-" + slug
    return f"LicenseRef-{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


@lru_cache(maxsize=4096)
def _expression(licenses: tuple[License, ...]) -> tuple[str, tuple[tuple[str, str, str | None], ...]]:
    """One SPDX expression for ``licenses`` (ANDed), and the LicenseRefs it needs: (id, name, url)."""
    if not licenses:
        return NOASSERTION, ()
    parts: list[str] = []
    refs: list[tuple[str, str, str | None]] = []
    for lic in licenses:
        if lic.expression:
            compound = any(op in f" {lic.expression} " for op in (" AND ", " OR ", " WITH "))
            parts.append(f"({lic.expression})" if compound and len(licenses) > 1 else lic.expression)
        else:
            name = lic.name or lic.url or "unknown"
            ref = _license_ref(name)
            parts.append(ref)
            refs.append((ref, name, lic.url))
    return " AND ".join(parts), tuple(refs)


def _package(
    c: Component,
    ids: dict[str, str],
    system: str | None,
    created: str,
    annotator: str,
    extracted: dict[str, Any],
    labels: dict[str, str],
) -> dict[str, Any]:
    cdx = cyclonedx.component_json(c, system)
    out: dict[str, Any] = {"SPDXID": ids[c.ref], "name": c.name}
    if c.version:
        out["versionInfo"] = c.version
    out["packageFileName"] = c.store_path
    out["supplier"] = _supplier(c.supplier)
    out["downloadLocation"] = _download_location(c.fixed_output.urls) if c.fixed_output else NOASSERTION
    out["filesAnalyzed"] = False
    checksums = [{"algorithm": _ALGS[h.alg], "checksumValue": h.content} for h in c.hashes if h.alg in _ALGS]
    if checksums:
        out["checksums"] = checksums
    if c.homepage:
        out["homepage"] = c.homepage
    concluded = tuple(lic for lic in c.licenses if lic.acknowledgement == "concluded")
    declared = tuple(lic for lic in c.licenses if lic.acknowledgement != "concluded")
    for key, group in (("licenseConcluded", concluded), ("licenseDeclared", declared)):
        expr, refs = _expression(group)
        out[key] = expr
        for ref, name, url in refs:
            extracted.setdefault(ref, (name, url))
    if concluded and c.license_from:
        by = labels.get(c.license_from) or c.license_from
        out["licenseComments"] = (
            f"Concluded by {TOOL_NAME}: the licence the Nix metadata (meta.license) of {by} declares, "
            "a package built from this source; the files were not analysed."
        )
    out["copyrightText"] = NOASSERTION
    if c.description:
        out["description"] = c.description
    refs_out = []
    if c.purl:
        refs_out.append(
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": c.purl}
        )
    for cpe in (c.cpe, *c.cpe_candidates) if c.cpe else ():  # the chosen CPE first, then candidates
        refs_out.append(
            {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": cpe}
        )
    if refs_out:
        out["externalRefs"] = refs_out
    out["primaryPackagePurpose"] = "SOURCE" if c.fixed_output and c.kind == "file" else _PURPOSE[c.kind]
    # CycloneDX's view of what SPDX cannot say (or says with less detail: a supplier's URL and
    # contacts, a licence's URL); the reader uses supplier and licences only when they agree with the
    # SPDX fields above, which stay the truth for every SPDX consumer
    extras: dict[str, Any] = {
        k: cdx[k] for k in ("properties", "pedigree", "supplier", "licenses") if k in cdx
    }
    out["annotations"] = [_annotation(extras, created, annotator)]
    return out


_DOWNLOAD = re.compile(
    r"(?:(?:git|hg|svn|bzr)\+)?(?:https?|ftp|sftp|ssh|git|svn)://[^/\s]+\.[^/\s]+(?:/\S*)?"
)


def _download_location(urls: tuple[str, ...]) -> str:
    """The first URL SPDX takes as a download location (its ``[vcs+]scheme://host/path`` form);
    ``mirror://gnu/...`` and other Nix-only schemes are not, and stay in the annotation."""
    return next((u for u in urls if _DOWNLOAD.fullmatch(u)), NOASSERTION)


def _annotation(extras: dict[str, Any], created: str, annotator: str) -> dict[str, str]:
    return {
        "annotationDate": created,
        "annotationType": "OTHER",
        "annotator": annotator,
        "comment": ANNOTATION + json.dumps(extras, separators=(",", ":"), ensure_ascii=False),
    }


def _label(c: Component, sep: str = "-") -> str:
    return f"{c.name}{sep}{c.version}" if c.version else c.name


def created_time(sbom: Sbom) -> str:
    """SPDX requires a creation time: the SBOM's (deterministic) timestamp, else the current time."""
    return sbom.meta.timestamp or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_document(sbom: Sbom) -> dict[str, Any]:
    """The SPDX document as plain data; :func:`render` fills in the namespace's UUID."""
    meta = sbom.meta
    created = created_time(sbom)
    annotator = f"Tool: {TOOL_NAME}-{meta.tool_version}"
    creators = [annotator]
    if meta.nix_version:
        creators.append(f"Tool: nix-{cyclonedx.nix_version_number(meta.nix_version)}")
    creators.extend(actor(a) for a in meta.authors if actor(a) != NOASSERTION)
    everything = [sbom.root, *sbom.components]
    ids = _ids(c.ref for c in everything)
    extracted: dict[str, Any] = {}
    # the packages a concluded licence comes from, by name and version (for licenseComments)
    origins = {c.license_from for c in everything if c.license_from}
    labels = {c.ref: _label(c, " ") for c in everything if c.ref in origins}
    packages = [_package(c, ids, meta.system, created, annotator, extracted, labels) for c in everything]
    relationships = [
        {
            "spdxElementId": DOCUMENT_ID,
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": ids[sbom.root.ref],
        }
    ]
    runtime = meta.closure == "runtime"
    for ref, targets in sorted(sbom.dependencies.items()):
        source = ids.get(ref)
        for target in targets:
            other = ids.get(target)
            if source is None or other is None:
                continue
            if runtime:
                relationships.append(
                    {"spdxElementId": source, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": other}
                )
            else:
                relationships.append(
                    {
                        "spdxElementId": other,
                        "relationshipType": "BUILD_DEPENDENCY_OF",
                        "relatedSpdxElement": source,
                    }
                )
    doc_props: dict[str, Any] = {"properties": cyclonedx.document_properties(sbom)}
    if meta.complete:
        doc_props["complete"] = True
    if meta.nix_version:
        doc_props["nix"] = meta.nix_version
    if meta.authors:
        doc_props["authors"] = [cyclonedx.entity_json(a) for a in meta.authors]
    doc: dict[str, Any] = {
        "spdxVersion": SPDX_VERSION,
        "dataLicense": "CC0-1.0",
        "SPDXID": DOCUMENT_ID,
        "name": f"{_label(sbom.root)} ({meta.closure} closure)",
        "documentNamespace": _PLACEHOLDER,
        "creationInfo": {"created": created, "creators": creators},
        "comment": f"{meta.closure} closure of {meta.installable}, from the Nix graph by {TOOL_NAME}",
        "annotations": [_annotation(doc_props, created, annotator)],
    }
    if extracted:
        doc["hasExtractedLicensingInfos"] = [
            {
                "licenseId": ref,
                "name": name,
                "extractedText": f"{name} (the licence text is not in the Nix metadata)",
                **({"seeAlsos": [url]} if url else {}),
            }
            for ref, (name, url) in sorted(extracted.items())
        ]
    doc["packages"] = packages
    doc["relationships"] = relationships
    return doc


def render(doc: dict[str, Any]) -> str:
    """Compact JSON, one package and one relationship per line; the documentNamespace ends in a
    UUIDv5 of the SHA-256 of the text rendered with a zero placeholder (as the CycloneDX serial)."""

    def compact(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    doc["documentNamespace"] = _PLACEHOLDER
    head = compact({k: v for k, v in doc.items() if k not in ("packages", "relationships")})[:-1]
    text = "".join(
        (
            head,
            ',\n"packages":',
            _one_per_line(compact(doc["packages"]), '{"SPDXID":'),
            ',\n"relationships":',
            _one_per_line(compact(doc["relationships"]), '{"spdxElementId":'),
            "}\n",
        )
    )
    digest = hashlib.sha256(text.encode()).hexdigest()
    slug = _ID_CHARS.sub("-", doc["name"].split(" ", 1)[0])[:80]
    namespace = f"{_NAMESPACE}{slug}-{uuid.uuid5(cyclonedx.SERIAL_NAMESPACE, digest)}"
    doc["documentNamespace"] = namespace
    return text.replace(f'"documentNamespace":"{_PLACEHOLDER}"', f'"documentNamespace":"{namespace}"', 1)


def _one_per_line(array: str, start: str) -> str:
    return "[\n" + array[1:-1].replace("}," + start, "},\n" + start) + "\n]"


def structural_errors(doc: Any, limit: int = 5) -> list[str]:
    """What the SPDX 2.3 schema and spec require of the parts nix-attest reads and writes: the header,
    unique package ids of the allowed form, relationships between known elements."""
    if not isinstance(doc, dict):
        return ["(document): not a JSON object"]
    errors: list[str] = []
    if doc.get("spdxVersion") != SPDX_VERSION:
        errors.append(f"spdxVersion: expected {SPDX_VERSION}, got {str(doc.get('spdxVersion'))[:40]!r}")
    info = doc.get("creationInfo")
    if not isinstance(info, dict) or not isinstance(info.get("created"), str) or not info.get("creators"):
        errors.append("creationInfo: created and creators are required")
    for key in ("SPDXID", "name", "documentNamespace", "dataLicense"):
        if not isinstance(doc.get(key), str):
            errors.append(f"{key}: required")
    packages = doc.get("packages")
    if not isinstance(packages, list):
        return [*errors, "packages: required (a list)"][:limit]
    ids: set[str] = {DOCUMENT_ID}
    for i, p in enumerate(packages):
        if not isinstance(p, dict):
            errors.append(f"packages/{i}: not an object")
            continue
        pid = p.get("SPDXID")
        if not isinstance(pid, str) or not re.fullmatch(r"SPDXRef-[A-Za-z0-9.-]+", pid):
            errors.append(f"packages/{i}/SPDXID: {str(pid)[:80]!r} is not SPDXRef-[A-Za-z0-9.-]+")
        elif pid in ids:
            errors.append(f"packages/{i}/SPDXID: duplicate {pid}")
        else:
            ids.add(pid)
        for key in ("name", "downloadLocation"):
            if not isinstance(p.get(key), str):
                errors.append(f"packages/{i}/{key}: required")
        if len(errors) >= limit:
            return errors[:limit]
    for i, r in enumerate(doc.get("relationships") or []):
        if not isinstance(r, dict):
            errors.append(f"relationships/{i}: not an object")
            continue
        for key in ("spdxElementId", "relatedSpdxElement"):
            value = r.get(key)
            if (
                value not in ids
                and value not in (NOASSERTION, "NONE")
                and not str(value).startswith("DocumentRef-")
            ):
                errors.append(f"relationships/{i}/{key}: unknown element {str(value)[:80]!r}")
        if len(errors) >= limit:
            break
    return errors[:limit]


@without_gc  # a large document is millions of objects (see gcpause)
def dumps_sbom(sbom: Sbom, *, validate: bool = True) -> str:
    doc = to_document(sbom)
    text = render(doc)
    if validate:
        problems = structural_errors(doc)
        if problems:
            raise InputError(f"SBOM is not valid SPDX 2.3: {'; '.join(problems)}")
    return text


# --- reading ---------------------------------------------------------------------------------------

_REVERSED = {  # "A X_OF B" means B depends on A
    "BUILD_DEPENDENCY_OF",
    "DEPENDENCY_OF",
    "DEV_DEPENDENCY_OF",
    "OPTIONAL_DEPENDENCY_OF",
    "PROVIDED_DEPENDENCY_OF",
    "RUNTIME_DEPENDENCY_OF",
    "TEST_DEPENDENCY_OF",
}
_FORWARD = {"DEPENDS_ON", "CONTAINS", "BUILD_TOOL_OF"}
_CDX_ALG = {v: k for k, v in _ALGS.items()}


def _extras(item: dict[str, Any]) -> dict[str, Any]:
    for a in item.get("annotations") or []:
        comment = a.get("comment") if isinstance(a, dict) else None
        if isinstance(comment, str) and comment.startswith(ANNOTATION):
            try:
                value = json.loads(comment[len(ANNOTATION) :])
            except json.JSONDecodeError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def _party(text: Any) -> dict[str, Any] | None:
    """An SPDX actor as a CycloneDX organizationalEntity (what the CycloneDX reader takes)."""
    if not isinstance(text, str) or text in (NOASSERTION, "NONE"):
        return None
    m = re.match(r"^(Person|Organization|Tool):\s*(.*?)\s*(?:\((.*)\))?\s*$", text)
    if not m:
        return None
    kind, name, email = m.group(1), m.group(2), m.group(3)
    if kind == "Person":
        return {"contact": [{k: v for k, v in (("name", name), ("email", email)) if v}]}
    entity: dict[str, Any] = {}
    if name.startswith(("https://", "http://")):
        entity["url"] = [name]
    elif name:
        entity["name"] = name
    if email:
        entity["contact"] = [{"email": email}]
    return entity


def _licenses(p: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, ack in (("licenseDeclared", "declared"), ("licenseConcluded", "concluded")):
        value = p.get(key)
        if isinstance(value, str) and value not in (NOASSERTION, "NONE"):
            out.append({"expression": value, "acknowledgement": ack})
    return out


def to_cyclonedx_shape(doc: dict[str, Any]) -> dict[str, Any]:
    """The SPDX document rearranged as the CycloneDX reader expects it (metadata.component,
    components, dependencies, properties), so both formats are read by one reader. Refs are the
    store paths of nix-attest's documents (its annotations), else the SPDX ids."""
    packages = [p for p in doc.get("packages") or [] if isinstance(p, dict)]
    rels = [r for r in doc.get("relationships") or [] if isinstance(r, dict)]
    root_id = next(
        (
            r.get("relatedSpdxElement")
            for r in rels
            if r.get("spdxElementId") == DOCUMENT_ID and r.get("relationshipType") == "DESCRIBES"
        ),
        None,
    )
    described = doc.get("documentDescribes")
    if root_id is None and isinstance(described, list) and described:
        root_id = described[0]
    ref_of: dict[str, str] = {}
    components: dict[str, dict[str, Any]] = {}
    for p in packages:
        extras = _extras(p)
        props = extras.get("properties") or []
        store = next(
            (x.get("value") for x in props if isinstance(x, dict) and x.get("name") == "nix:store_path"), None
        )
        pid = str(p.get("SPDXID"))
        ref = str(store) if store else pid
        ref_of[pid] = ref
        comp: dict[str, Any] = {
            "type": "application"
            if p.get("primaryPackagePurpose") == "APPLICATION"
            else ("file" if p.get("primaryPackagePurpose") in ("FILE", "SOURCE") else "library"),
            "bom-ref": ref,
            "name": str(p.get("name") or ""),
        }
        supplier = _agreeing_supplier(extras.get("supplier"), p.get("supplier")) or _party(p.get("supplier"))
        if supplier:
            comp["supplier"] = supplier
        for key, target in (("versionInfo", "version"), ("description", "description")):
            if isinstance(p.get(key), str):
                comp[target] = p[key]
        hashes = [
            {"alg": _CDX_ALG[c["algorithm"]], "content": str(c.get("checksumValue", "")).lower()}
            for c in p.get("checksums") or []
            if isinstance(c, dict) and c.get("algorithm") in _CDX_ALG
        ]
        if hashes:
            comp["hashes"] = hashes
        licenses = _agreeing_licenses(extras.get("licenses"), p) or _licenses(p)
        if licenses:
            comp["licenses"] = licenses
        for r in p.get("externalRefs") or []:
            if not isinstance(r, dict):
                continue
            if r.get("referenceType") == "purl":
                comp.setdefault("purl", r.get("referenceLocator"))
            elif r.get("referenceType") in ("cpe23Type", "cpe22Type"):
                comp.setdefault("cpe", r.get("referenceLocator"))
        if isinstance(p.get("homepage"), str) and p["homepage"] not in (NOASSERTION, "NONE"):
            comp["externalReferences"] = [{"type": "website", "url": p["homepage"]}]
        comp.update({k: v for k, v in extras.items() if k in ("properties", "pedigree")})
        components[pid] = comp
    deps: dict[str, set[str]] = {ref_of[pid]: set() for pid in components}
    for r in rels:
        kind = r.get("relationshipType")
        a, b = r.get("spdxElementId"), r.get("relatedSpdxElement")
        if a not in ref_of or b not in ref_of:
            continue
        if kind in _FORWARD:
            deps[ref_of[a]].add(ref_of[b])
        elif kind in _REVERSED:
            deps[ref_of[b]].add(ref_of[a])
    if root_id not in components:
        raise InputError("the SPDX document describes no package (no DESCRIBES relationship to a package)")
    doc_extras = _extras(doc)
    metadata: dict[str, Any] = {
        "component": components[str(root_id)],
        "properties": doc_extras.get("properties") or [],
    }
    info = doc.get("creationInfo") or {}
    if isinstance(info.get("created"), str):
        metadata["timestamp"] = info["created"]
    authors, tools = [], []
    for creator in info.get("creators") or []:
        if not isinstance(creator, str):
            continue
        if creator.startswith("Tool:"):
            name, _, version = creator[len("Tool:") :].strip().rpartition("-")
            tool = {"name": name or version, "version": version if name else ""}
            if tool["name"] == "nix" and isinstance(doc_extras.get("nix"), str):
                tool["description"] = doc_extras["nix"]
            tools.append(tool)
            continue
        party = _party(creator)
        if party:
            contact = (party.get("contact") or [{}])[0]
            name = party.get("name") or contact.get("name")
            authors.append({k: v for k, v in (("name", name), ("email", contact.get("email"))) if v})
    if authors:
        metadata["authors"] = authors
        first = _agreeing_supplier(
            (doc_extras.get("authors") or [None])[0],
            next(
                (c for c in info.get("creators") or [] if isinstance(c, str) and not c.startswith("Tool:")),
                None,
            ),
        )
        if first:
            metadata["manufacturer"] = first
    metadata["tools"] = {"components": tools}
    shape: dict[str, Any] = {
        "metadata": metadata,
        "components": [c for pid, c in components.items() if pid != root_id],
        "dependencies": [{"ref": ref, "dependsOn": sorted(targets)} for ref, targets in sorted(deps.items())],
    }
    if doc_extras.get("complete"):
        shape["compositions"] = [{"aggregate": "complete", "assemblies": [ref_of[str(root_id)]]}]
    if isinstance(doc.get("documentNamespace"), str):
        shape["serialNumber"] = doc["documentNamespace"]
    return shape


def _agreeing_supplier(entity: Any, native: Any) -> dict[str, Any] | None:
    """The CycloneDX entity from the annotation, when it says what the SPDX actor says."""
    from .read import _party as read_party

    party = read_party(entity)
    return entity if party is not None and isinstance(entity, dict) and actor(party) == native else None


def _agreeing_licenses(items: Any, p: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The CycloneDX licences from the annotation, when they give the SPDX package's expressions."""
    from .read import _licenses as read_licenses

    if not isinstance(items, list):
        return None
    licenses = read_licenses(items)
    concluded = tuple(lic for lic in licenses if lic.acknowledgement == "concluded")
    declared = tuple(lic for lic in licenses if lic.acknowledgement != "concluded")
    if _expression(concluded)[0] == p.get("licenseConcluded") and _expression(declared)[0] == p.get(
        "licenseDeclared"
    ):
        return items
    return None
