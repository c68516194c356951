"""Keyless signing of in-toto statements with sigstore-python: DSSE → Sigstore bundle v0.3 on disk."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from sigstore import dsse
from sigstore.errors import Error as SigstoreError
from sigstore.oidc import ExpiredIdentity, IdentityError, IdentityToken
from sigstore.sign import SigningContext

from ..errors import ExternalError, InputError
from ..fsutil import write_atomic
from ..untrusted import TooDeep, loads_json
from .model import SignedBundle
from .statement import statement_subjects
from .trust import SigningTrust


@dataclass(frozen=True)
class StatementToSign:
    kind: str  # "sbom" | "provenance"; also the bundle file's base name
    statement: dict[str, Any]


def identity_token(raw: str) -> IdentityToken:
    """Parse (not verify: Fulcio does that) the OIDC token; the message never contains the token."""
    try:
        return IdentityToken(raw)
    except IdentityError as exc:
        raise InputError(
            f"the identity token is malformed, expired or not for audience 'sigstore': {exc}"
        ) from exc


def token_claims(raw: str) -> dict[str, Any]:
    """The claims of an identity token that :func:`identity_token` accepted (unverified: Fulcio
    verifies); anything unreadable is no claims."""
    parts = raw.strip().split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = loads_json(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TooDeep):
        return {}
    return claims if isinstance(claims, dict) else {}


def bundle_log_index(bundle_json: str) -> int | None:
    doc = json.loads(bundle_json)
    entries = (doc.get("verificationMaterial") or {}).get("tlogEntries") or []
    if entries and "logIndex" in entries[0]:
        return int(entries[0]["logIndex"])
    return None


def sign_statements(
    statements: Sequence[StatementToSign],
    *,
    out_dir: str | os.PathLike[str],
    token: str,
    trust: SigningTrust,
) -> tuple[SignedBundle, ...]:
    """Sign each statement (one Fulcio certificate for all), write ``DIR/<kind>.sigstore.json``."""
    ident = identity_token(token)
    ctx = SigningContext.from_trust_config(trust.config)
    signed: list[tuple[StatementToSign, str]] = []
    try:
        with ctx.signer(ident) as signer:
            for item in statements:
                stmt = dsse.Statement(
                    json.dumps(item.statement, sort_keys=True, separators=(",", ":")).encode()
                )
                signed.append((item, signer.sign_dsse(stmt).to_json()))
    except ExpiredIdentity as exc:
        raise InputError("the identity token has expired: request a fresh one") from exc
    except (SigstoreError, requests.RequestException) as exc:
        raise ExternalError(f"Sigstore signing failed ({trust.name}): {_one_line(exc)}") from exc
    except Exception as exc:  # Fulcio/Rekor client errors are private classes in sigstore-python
        if type(exc).__name__ in ("FulcioClientError", "RekorClientError", "ExpiredCertificate"):
            raise ExternalError(f"Sigstore signing failed ({trust.name}): {_one_line(exc)}") from exc
        raise
    # written only once every statement is signed: never a partial set of bundles
    results: list[SignedBundle] = []
    for item, text in signed:
        path = write_atomic(Path(out_dir) / f"{item.kind}.sigstore.json", text + "\n")
        index = bundle_log_index(text)
        results.append(
            SignedBundle(
                kind=item.kind,
                predicate_type=str(item.statement["predicateType"]),
                bundle_path=str(path),
                subjects=statement_subjects(item.statement),
                rekor_log_index=index,
                rekor_url=trust.entry_url_template.format(index=index) if index is not None else None,
            )
        )
    return tuple(results)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]
