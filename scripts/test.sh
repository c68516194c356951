#!/usr/bin/env bash
# Lint, type-check and test. Used by `make test` and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export NIX_CONFIG="${NIX_CONFIG:-substituters =}"
echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== mypy --strict src"; .venv/bin/mypy --strict src
echo "== pytest"; .venv/bin/pytest -q -p no:cacheprovider "$@"
