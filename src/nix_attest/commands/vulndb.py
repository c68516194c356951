"""`nix-attest vulndb update [--cache-dir DIR] [--nvd-url URL]`: the local NVD database (see vuln/db.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..fsutil import write_atomic
from ..github.http import ServiceClient
from ..vuln.db import NVD_FEED_URL, NvdCache, default_cache_dir, update
from ..vuln.kev import KEV_FILE, KEV_URL, fetch_kev, load_kev


def add_cache_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache directory (default: $NIX_ATTEST_CACHE_DIR, else $XDG_CACHE_HOME/nix-attest, "
        "else ~/.cache/nix-attest); the NVD data is in DIR/nvd",
    )


def cache_from(args: argparse.Namespace) -> NvdCache:
    return NvdCache(Path(args.cache_dir) if args.cache_dir else default_cache_dir())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "vulndb",
        help="manage the local NVD vulnerability database (download the NVD 2.0 feeds, build the index)",
        description="The local NVD database that `nix-attest scan` matches against.",
    )
    actions = p.add_subparsers(dest="vulndb_command", metavar="ACTION")
    actions.required = True
    up = actions.add_parser(
        "update",
        help="download the NVD 2.0 year and modified feeds that changed (checked against their .meta "
        "sha256) and rebuild the compact index",
        description="Download the NVD 2.0 feeds (nvdcve-2.0-YYYY and -modified) whose .meta SHA-256 "
        "changed since the last update, verify them, and rebuild the local index. Exit 3 when NVD cannot "
        "be reached or a download does not match its .meta file.",
    )
    add_cache_arg(up)
    up.add_argument(
        "--nvd-url",
        metavar="URL",
        default=NVD_FEED_URL,
        help=f"where the feeds are (default: {NVD_FEED_URL})",
    )
    up.add_argument(
        "--kev",
        metavar="URL",
        nargs="?",
        const=KEV_URL,
        help=f"also store the CISA KEV catalog as DIR/{KEV_FILE} (default URL: {KEV_URL})",
    )
    up.set_defaults(func=run_update)


def run_update(args: argparse.Namespace) -> int:
    cache = cache_from(args)
    with ServiceClient(args.nvd_url, name="NVD feeds") as client:
        report = update(cache, client)
    what = f"{len(report.downloaded)} feed(s) downloaded, {len(report.unchanged)} unchanged"
    sys.stderr.write(f"nix-attest: NVD database {cache.nvd}: {report.cves} CVEs ({what})\n")
    if args.kev:
        raw = fetch_kev(args.kev)
        write_atomic(cache.root / KEV_FILE, raw)
        sys.stderr.write(f"nix-attest: CISA KEV catalog: {len(load_kev(str(cache.root / KEV_FILE)))} CVEs\n")
    return 0
