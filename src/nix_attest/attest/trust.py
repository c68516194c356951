"""Which Sigstore instance to sign with / trust when verifying."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sigstore.errors import Error as SigstoreError
from sigstore.models import ClientTrustConfig, TrustedRoot

from ..errors import ExternalError, InputError
from ..untrusted import MAX_POLICY_BYTES, json_problem, loads_json, read_input_text

PRODUCTION_SEARCH = "https://search.sigstore.dev/?logIndex={index}"
STAGING_SEARCH = "https://search.sigstage.dev/?logIndex={index}"


@dataclass(frozen=True)
class SigningTrust:
    config: ClientTrustConfig
    entry_url_template: str  # "{index}" is replaced by the Rekor log index
    name: str  # "production" | "staging" | the config file path


def _read_json(path: str, what: str) -> dict[str, Any]:
    try:
        text = read_input_text(path, MAX_POLICY_BYTES)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise InputError(f"cannot read {what} {path}: {reason}") from exc
    try:
        doc = loads_json(text)
    except ValueError as exc:
        raise InputError(f"{what} {path} is {json_problem(exc)}") from exc
    if not isinstance(doc, dict):
        raise InputError(f"{what} {path} is not a JSON object")
    return doc


def _rekor_url_from_config(doc: dict[str, Any]) -> str | None:
    urls = (doc.get("signingConfig") or {}).get("rekorTlogUrls") or []
    for entry in urls:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            return str(entry["url"]).rstrip("/")
    return None


def signing_trust(config_path: str | None, *, staging: bool = False) -> SigningTrust:
    """``--trust-config FILE`` (ClientTrustConfig JSON), ``--staging``, or the public-good instance."""
    if config_path:
        doc = _read_json(config_path, "trust config")
        try:
            config = ClientTrustConfig.from_json(json.dumps(doc))
            config.signing_config  # noqa: B018  (validates the signing config now, not mid-signing)
        except (SigstoreError, ValueError) as exc:
            raise InputError(f"trust config {config_path} is not a valid ClientTrustConfig: {exc}") from exc
        rekor = _rekor_url_from_config(doc) or "rekor"
        return SigningTrust(config, f"{rekor}/api/v1/log/entries?logIndex={{index}}", config_path)
    try:
        if staging:
            return SigningTrust(ClientTrustConfig.staging(), STAGING_SEARCH, "staging")
        return SigningTrust(ClientTrustConfig.production(), PRODUCTION_SEARCH, "production")
    except SigstoreError as exc:
        raise ExternalError(f"cannot load the Sigstore trust root (TUF): {exc}") from exc


@contextmanager
def _quiet_offline_notice(offline: bool) -> Iterator[None]:
    """sigstore logs "TUF repository is loaded in offline mode" as a warning: with --offline that is
    what was asked for, and the command's output stays its own lines."""
    logger = logging.getLogger("sigstore._internal.tuf")
    before = logger.level
    if offline:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(before)


def verification_root(root_path: str | None, *, offline: bool = False, staging: bool = False) -> TrustedRoot:
    """``--trust-root FILE`` (TrustedRoot or ClientTrustConfig JSON), else the public-good root (TUF)."""
    if root_path:
        doc = _read_json(root_path, "trusted root")
        try:
            if "trustedRoot" in doc:
                return ClientTrustConfig.from_json(json.dumps(doc)).trusted_root
            return TrustedRoot.from_file(root_path)
        except (SigstoreError, ValueError) as exc:
            raise InputError(f"trusted root {root_path} is not a valid Sigstore trusted root: {exc}") from exc
    try:
        with _quiet_offline_notice(offline):
            cfg = ClientTrustConfig.staging(offline) if staging else ClientTrustConfig.production(offline)
            return cfg.trusted_root
    except SigstoreError as exc:
        raise ExternalError(
            f"cannot load the Sigstore trusted root (TUF): {exc}", hint="use --offline or --trust-root FILE"
        ) from exc
