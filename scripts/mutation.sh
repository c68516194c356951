#!/usr/bin/env bash
# Mutation testing of the security-relevant modules (on demand: `make mutation`; not part of CI).
#
# For each module, mutmut (PyPI) changes the code one small edit at a time (a comparison flipped, a
# condition dropped, a constant changed) and runs the tests that cover it; a mutant the tests do not
# notice "survives". Runs one module at a time in a scratch copy of the working tree, so an interrupted
# run never leaves mutated code behind. Results: out/mutation/summary.txt (killed / total per module)
# and out/mutation/<module>.txt (every survivor, with its diff). Target: >= 90 % killed per module;
# the survivors that remain are listed with a reason in docs/testing.md.
#
#   make mutation                              # every module below
#   make mutation MODULES="fsutil github/limits"  # some of them
#   MUTATION_KEEP=1 ...      keep each module's scratch copy (its path is printed) to re-run single
#                            mutants after adding tests: cd <scratch> && mutmut run <mutant name>...
#   MUTATION_CHILDREN=1 ...  mutants run in parallel (mutmut --max-children; default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# module (under src/nix_attest, without .py) -> the tests that exercise it. mutmut runs, for each
# mutant, only the listed tests that reach the mutated function; still, every run starts pytest and
# the session fixtures of what it selects, so each list is the fast tests that cover the module (unit
# tests, pre-signed bundles and the public test vectors; the local Sigstore stack only where a test
# signs), not whole directories. Measured per mutant in docs/testing.md.
A=tests/attest
# generate: the record-level unit tests, the faked current Nix and one real-Nix flake with input
# sources; SBOM_GENERATE_FULL=1 runs all of tests/core instead (real Nix for every mutant: hours here)
GENERATE_TESTS="tests/core/test_generate_units.py tests/core/test_nix_versions.py tests/core/test_input_sources.py"
if [ -n "${SBOM_GENERATE_FULL:-}" ]; then GENERATE_TESTS="tests/core --ignore=tests/core/test_sbom_spdx.py"; fi
declare -A TESTS=(
  [attest/identity]="$A/test_attest_identity_policy.py $A/test_attest_identity_claims.py \
$A/test_attest_identity_input.py $A/test_attest_verify_policy.py $A/test_attest_public_vectors.py \
$A/test_attest_vectors.py $A/test_attest_conformance.py"
  [attest/verify]="$A/test_attest_verify_units.py $A/test_attest_public_vectors.py $A/test_attest_vectors.py \
$A/test_attest_conformance.py $A/test_attest_legacy_bundle.py $A/test_attest_verify_policy.py \
$A/test_attest_sign_verify.py $A/test_attest_no_nix.py"
  [attest/legacy_bundle]="$A/test_attest_legacy_bundle.py $A/test_attest_public_vectors.py \
$A/test_attest_vectors.py $A/test_attest_conformance.py"
  [policy/waivers]="tests/policy tests/vuln/test_vuln_vex.py tests/vuln/test_vuln_pipeline.py"
  [policy/builtin]="tests/policy"
  [policy/licenses]="tests/policy"
  [policy/versions]="tests/policy tests/core/test_parsers.py"
  [github/comment]="tests/github tests/report/test_report_inert.py"
  [github/limits]="tests/github tests/report"
  [report/md]="tests/report tests/github/test_github_comment_ownership.py"
  [fsutil]="tests/test_fsutil.py"
  [sbom/generate]="$GENERATE_TESTS"
)
ORDER="fsutil github/limits report/md github/comment policy/waivers policy/versions policy/builtin \
policy/licenses attest/identity attest/legacy_bundle attest/verify sbom/generate"
MODULES=${MODULES:-$ORDER}

.venv/bin/python -m pip install -q "mutmut>=3.8,<4"
export NIX_CONFIG="${NIX_CONFIG:-substituters =}"
OUT="${MUTATION_OUT:-$ROOT/out/mutation}"
mkdir -p "$OUT"
: > "$OUT/summary.txt"

for module in $MODULES; do
  tests=${TESTS[$module]:?"unknown module $module (one of: $ORDER)"}
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/nix-attest-mutation.XXXXXX")
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$scratch" 2>/dev/null || true
  {
    printf '\n[tool.mutmut]\nsource_paths = ["src"]\nonly_mutate = ["src/nix_attest/%s.py"]\n' "$module"
    printf 'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
    printf 'pytest_add_cli_args_test_selection = [%s]\n' "$(printf '"%s", ' $tests)"
    printf 'also_copy = ["examples", "scripts", "docs", "README.md"]\n'
  } >> "$scratch/pyproject.toml"
  name=${module//\//.}
  echo "== mutmut: src/nix_attest/$module.py (tests: $tests)"
  started=$(date +%s)
  (cd "$scratch" && "$ROOT/.venv/bin/mutmut" run ${MUTATION_CHILDREN:+--max-children "$MUTATION_CHILDREN"} \
    >"$OUT/$name.log" 2>&1) || true
  (cd "$scratch" && "$ROOT/.venv/bin/mutmut" results --all true 2>/dev/null) >"$OUT/$name.results" || true
  total=$(grep -c ': ' "$OUT/$name.results" || true)
  killed=$(grep -cE ': (killed|timeout)$' "$OUT/$name.results" || true)  # a timeout: the tests hung
  : > "$OUT/$name.txt"
  { grep -vE ': (killed|timeout)$' "$OUT/$name.results" || true; } | while read -r mutant status; do
    echo "## ${mutant%:} ($status)" >>"$OUT/$name.txt"
    (cd "$scratch" && "$ROOT/.venv/bin/mutmut" show "${mutant%:}" 2>/dev/null | grep -E '^[-+]' | grep -vE '^(---|\+\+\+) ') >>"$OUT/$name.txt" || true
  done
  pct=$(( total > 0 ? 100 * killed / total : 0 ))
  line="$module: $killed of $total mutants killed or timed out ($pct %) in $(( $(date +%s) - started )) s"
  echo "$line" | tee -a "$OUT/summary.txt"
  if [ -n "${MUTATION_KEEP:-}" ]; then echo "kept: $scratch"; else rm -rf "$scratch"; fi
done
echo "survivors: $OUT/<module>.txt; summary: $OUT/summary.txt"
