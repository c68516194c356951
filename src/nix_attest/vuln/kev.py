"""The CISA Known Exploited Vulnerabilities catalog (optional enrichment): which CVE ids are known to
be exploited. From a file or a URL (through the shared HTTP client); cached by ``vulndb update --kev``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ExternalError, InputError
from ..github.http import ServiceClient
from ..untrusted import json_problem, loads_json

KEV_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
MAX_BYTES = 64 * 1024 * 1024
KEV_FILE = "kev.json"  # where `vulndb update --kev` stores the catalog in the cache directory


def parse_kev(data: Any, source: str) -> frozenset[str]:
    items = data.get("vulnerabilities") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{source} is not a CISA KEV catalog (no vulnerabilities list)")
    return frozenset(
        str(v["cveID"]).upper() for v in items if isinstance(v, dict) and isinstance(v.get("cveID"), str)
    )


def _loads(raw: bytes, source: str, error: type[InputError] | type[ExternalError]) -> Any:
    try:
        return loads_json(raw)
    except ValueError as exc:
        raise error(f"{source} is {json_problem(exc)}") from None


def fetch_kev(url: str) -> bytes:
    with ServiceClient(url, name="CISA KEV") as client:
        raw = client.request("GET", url, max_bytes=MAX_BYTES)
    parse_kev(_loads(raw, url, ExternalError), url)  # a broken download is the service's failure
    return raw


def load_kev(source: str) -> frozenset[str]:
    """The CVE ids of the catalog at ``source`` (a file, or an http(s) URL)."""
    if source.startswith(("http://", "https://")):
        return parse_kev(_loads(fetch_kev(source), source, ExternalError), source)
    try:
        raw = Path(source).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the KEV catalog {source}: {exc.strerror or exc}") from None
    return parse_kev(_loads(raw, source, InputError), source)
