#!/usr/bin/env bash
# Install nix-attest into an isolated venv inside the action checkout (no global pip; works with
# ubuntu-24.04's externally managed Python): hash-pinned dependencies, then the package itself
# without dependencies or build isolation. Prints the path of the nix-attest executable.
# Usage: install.sh ACTION_ROOT   (the repository root of the action: holds pyproject.toml)
set -euo pipefail
root="$1"
venv="$root/.nix-attest-venv"
if [ ! -x "$venv/bin/nix-attest" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --require-hashes --only-binary :all: --no-deps -r "$root/requirements/action.txt" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --no-deps --no-build-isolation "$root" >&2
fi
echo "$venv/bin/nix-attest"
