"""A stand-in for a current Nix (2.29, Determinate Nix 3.x) that answers from canned data.

CI has only Nix 2.8; this fake speaks the newer CLI and JSON shapes — `nix derivation show` (v4
wrapped JSON), `drv^*` installables, `path-info` keyed by path with SRI hashes — and refuses the
old forms, so a test can prove nix-attest picks the right ones by feature detection. Every call is
appended to $FAKE_NIX_LOG.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

S = "/nix/store/"
DATA = Path(__file__).resolve().parents[1] / "data" / "drv" / "v4-nix-2.33.json"
APP_DRV = S + "3qg1fn1gjq0ks3g3pz3p9m3y6lfb9mkk-app-1.0.drv"
APP = S + "a9cvsnd7y2jhc3ip1a6ng6kxg0jx5ls2-app-1.0"
LIB = S + "bj5zbshxqlkwn5ir6l0ks2mw3jwafk3a-lib-2.0"
SRI = "sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY="


def fail(msg: str) -> None:
    sys.stderr.write(f"error: {msg}\n")
    sys.exit(1)


def main(argv: list[str]) -> None:
    with open(os.environ["FAKE_NIX_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(argv) + "\n")
    if argv == ["--version"]:
        print("nix (Determinate Nix 3.6.2) 2.29.0")
        return
    args = [a for a in argv if a not in ("--extra-experimental-features", "nix-command flakes")]
    if args[0] == "--log-format":
        args = args[2:]
    cmd = args[0]
    if cmd == "show-derivation":
        fail("'show-derivation' is deprecated here; use 'nix derivation show'")
    if cmd == "eval":
        print(
            json.dumps(
                {
                    "isDerivation": True,
                    "drvPath": APP_DRV,
                    "outputName": "out",
                    "packages": [
                        {
                            "drvPath": APP_DRV,
                            "pname": "app",
                            "version": "1.0",
                            "hasMeta": True,
                            "description": "the app",
                            "homepage": None,
                            "licenses": [{"spdxId": "MIT"}],
                            "purl": None,
                            "cpe": None,
                        }
                    ],
                }
            )
        )
        return
    if args[:2] == ["derivation", "show"]:
        print(DATA.read_text())
        return
    if cmd == "build":
        target = args[-1]
        if target.endswith(".drv"):
            fail(f"'{target}' is a store derivation: use '{target}^*' to build it")
        print(json.dumps([{"drvPath": APP_DRV, "outputs": {"out": APP}}]))
        return
    if cmd == "path-info":
        print(
            json.dumps(
                {
                    APP: {"narHash": SRI, "narSize": 100, "references": [LIB, APP], "deriver": APP_DRV},
                    LIB: {"narHash": SRI, "narSize": 50, "references": [], "deriver": None},
                }
            )
        )
        return
    fail(f"fake nix: unsupported call {argv}")


if __name__ == "__main__":
    main(sys.argv[1:])
