"""nix-attest: supply-chain attestations for Nix builds."""

__version__ = "0.1.0"
TOOL_NAME = "nix-attest"
TOOL_URL = "https://github.com/nix-attest/nix-attest"
