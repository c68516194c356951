"""The `nix-attest` command: wires subcommand modules together and turns errors into exit codes."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, Protocol, cast

from . import __version__
from .errors import EXIT_EXTERNAL, EXIT_USAGE, NixAttestError
from .logsafe import guarded

# Each module in nix_attest.commands defines `register(subparsers)`; the parser it adds sets
# `func=run` (a callable taking the parsed namespace and returning an exit code).
COMMANDS = ("build", "sbom", "sign", "verify", "check", "diff", "comment", "run", "scan", "vulndb", "submit")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """Usage errors are one line too, pointing at the command's help."""
        sys.stderr.write(f"nix-attest: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


class _Command(Protocol):
    def register(self, sub: argparse._SubParsersAction[_Parser]) -> None: ...


def build_parser(commands: Sequence[str] = COMMANDS) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nix-attest",
        description="Supply-chain attestations for Nix: build, SBOM, sign, verify, check, report.",
    )
    parser.add_argument("--version", action="version", version=f"nix-attest {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in commands:
        module = importlib.import_module(f"nix_attest.commands.{name}")
        cast(_Command, module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # import only the command being run (signing and policy engines are slow to import)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser((chosen,) if chosen in COMMANDS else COMMANDS)
    args = parser.parse_args(argv)
    with guarded():  # PR text printed to a terminal or a job's log commands neither
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        code = int(args.func(args))
    except NixAttestError as err:
        sys.stderr.write(f"nix-attest: error: {err}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("nix-attest: interrupted\n")
        return 130
    except Exception as exc:  # a bug: still one line and an exit code that is not "check failed"
        if os.environ.get("NIX_ATTEST_DEBUG"):
            raise
        sys.stderr.write(
            f"nix-attest: internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:300]} "
            "(set NIX_ATTEST_DEBUG=1 for a traceback, and please report it)\n"
        )
        return EXIT_EXTERNAL
    return code


def entrypoint() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entrypoint()
