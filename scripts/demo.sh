#!/usr/bin/env bash
# The demo: derive the runtime and buildtime SBOMs of examples/demo and print a short summary.
set -euo pipefail
cd "$(dirname "$0")/.."
# the demo flake has no inputs: nothing needs a binary cache (and this keeps it fast offline)
export NIX_CONFIG="${NIX_CONFIG:-substituters =}"
mkdir -p out
# the demo's packages are all defined in its own flake: their supplier is the SBOM's author
author='nix-attest demo <https://github.com/nix-attest/nix-attest>'
.venv/bin/nix-attest sbom 'path:./examples/demo#default' --author "$author" -o out/demo.cdx.json
.venv/bin/nix-attest sbom 'path:./examples/demo#default' --author "$author" --no-build -o out/demo-buildtime.cdx.json
.venv/bin/nix-attest sbom 'path:./examples/demo#default' --author "$author" --format spdx -o out/demo.spdx.json
.venv/bin/python - <<'PY'
from nix_attest.sbom.read import load_sbom

for path in ("out/demo.cdx.json", "out/demo-buildtime.cdx.json", "out/demo.spdx.json"):
    sbom = load_sbom(path)
    print(f"\n{path}: {sbom.meta.closure} closure of {sbom.root.name} {sbom.root.version or ''}")
    print(f"  serialNumber {sbom.meta.serial_number}; created {sbom.meta.timestamp}")
    for c in (sbom.root, *sbom.components):
        lic = " ".join(x.label() for x in c.licenses) or "-"
        sha = (c.sha256 or "")[:12] or "-"
        print(f"  {c.name:<12} {c.version or '-':<8} {lic:<22} sha256:{sha:<12} {c.purl}")
PY
if [ -x .venv/bin/nix-attest ] && .venv/bin/nix-attest check --help >/dev/null 2>&1; then
  echo
  .venv/bin/nix-attest check out/demo.cdx.json --policy examples/policies/permissive.yaml --format text || true
fi
