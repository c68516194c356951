"""One call per stage for the CLI and ``nix-attest run``: sign an SBOM file, upload bundles."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import InputError, OutputError
from ..github.http import GitHubClient
from ..sbom.read import from_document, loads_document
from ..untrusted import MAX_SBOM_BYTES, read_input_text
from .github_env import github_context
from .model import GitHubContext, SignedBundle
from .provenance import provenance_statement
from .sign import StatementToSign, sign_statements
from .statement import file_subjects, merge_subjects, root_subject, sbom_statement
from .trust import SigningTrust
from .upload import upload_attestation


def build_statements(
    sbom_text: str,
    *,
    source: str = "SBOM",
    provenance: bool = False,
    subject_files: Sequence[str | os.PathLike[str]] = (),
    github: GitHubContext | None = None,
) -> tuple[StatementToSign, ...]:
    """The SBOM statement (and the SLSA provenance statement) for the SBOM's root output + extra files."""
    doc = loads_document(sbom_text, source=source)
    sbom = from_document(doc, source=source)
    subjects = merge_subjects((root_subject(sbom),), file_subjects(subject_files))
    out = [StatementToSign("sbom", sbom_statement(doc, subjects))]
    if provenance:
        out.append(StatementToSign("provenance", provenance_statement(sbom, subjects, github)))
    return tuple(out)


def sign_sbom(
    sbom_path: str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str],
    token: str,
    trust: SigningTrust,
    provenance: bool = False,
    subject_files: Sequence[str | os.PathLike[str]] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[SignedBundle, ...]:
    """Sign ``sbom_path`` (and provenance) keylessly into ``out_dir/{sbom,provenance}.sigstore.json``."""
    statements = prepare_statements(
        sbom_path, out_dir=out_dir, provenance=provenance, subject_files=subject_files, env=env
    )
    return sign_statements(statements, out_dir=out_dir, token=token, trust=trust)


def prepare_statements(
    sbom_path: str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str],
    provenance: bool = False,
    subject_files: Sequence[str | os.PathLike[str]] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[StatementToSign, ...]:
    """Everything local, before anything is sent to Sigstore: read the SBOM, build the statements,
    make sure the bundles can be written."""
    try:
        text = read_input_text(sbom_path, MAX_SBOM_BYTES)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise InputError(f"cannot read SBOM {sbom_path}: {reason}") from exc
    github = github_context(os.environ if env is None else env)
    statements = build_statements(
        text, source=str(sbom_path), provenance=provenance, subject_files=subject_files, github=github
    )
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {out}: {exc.strerror or exc}") from exc
    if not os.access(out, os.W_OK):
        raise OutputError(f"cannot write to {out}: permission denied")
    return tuple(statements)


def upload_bundles(
    bundles: Sequence[SignedBundle],
    client: GitHubClient,
    repository: str,
    *,
    server_url: str = "https://github.com",
) -> tuple[SignedBundle, ...]:
    """POST each bundle to the attestations API; return the records with ``attestation_url`` set."""
    out: list[SignedBundle] = []
    for b in bundles:
        text = Path(b.bundle_path).read_text(encoding="utf-8")
        uploaded = upload_attestation(client, repository, text, server_url=server_url)
        out.append(replace(b, attestation_url=uploaded.url))
    return tuple(out)
