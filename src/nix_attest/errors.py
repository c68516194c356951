"""The error hierarchy: every failure a user can cause or meet, with a one-line message and an exit code.

Exit codes (documented in the README):
  0 ok, 1 a check failed (policy, verification, reproducibility), 2 bad usage or input,
  3 Nix or another external tool/service failed.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_EXTERNAL = 3


class NixAttestError(Exception):
    """Base class. ``str(err)`` is the one-line message shown to the user."""

    exit_code: int = EXIT_EXTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class UsageError(NixAttestError):
    """Bad command-line usage or input file (exit 2)."""

    exit_code = EXIT_USAGE


class InputError(UsageError):
    """An input file or value is malformed or missing (exit 2)."""


class OutputError(UsageError):
    """An output cannot be written (exit 2)."""


class NixError(NixAttestError):
    """Nix is missing or failed: evaluation, build, store query (exit 3)."""

    exit_code = EXIT_EXTERNAL


class NixNotFound(NixError):
    """The ``nix`` binary is not on PATH."""


class NixEvalError(NixError):
    """Evaluation failed (unknown attribute, syntax error, ...)."""


class UnknownInstallable(UsageError):
    """The installable does not exist (exit 2)."""


class NixBuildError(NixError):
    """A build failed."""


class EvalBudgetExceeded(UsageError):
    """Evaluating the installable (pull-request Nix code) took longer or more memory than its budget:
    the input's doing, like a policy over its CEL or Nickel budget (exit 2)."""


class InvalidStorePath(UsageError):
    """A store path is not valid in the local store (exit 2)."""


class ExternalError(NixAttestError):
    """A remote service (Sigstore, GitHub) failed (exit 3)."""

    exit_code = EXIT_EXTERNAL


class CheckFailed(NixAttestError):
    """A check the user asked for failed: policy, verification, reproducibility (exit 1)."""

    exit_code = EXIT_CHECK_FAILED


class VerificationError(CheckFailed):
    """A signature, identity or subject check failed (exit 1)."""


class PolicyFileError(InputError):
    """A policy file is malformed (exit 2)."""
