.PHONY: setup demo test lint bench bench-install clean

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

# The test command CI runs (.ci/run): lint, types, the test suite (with real Nix), action audits.
test: setup
	@bash scripts/test.sh

bench: setup
	.venv/bin/python bench/sbom_scale.py
	.venv/bin/python bench/policy_scale.py
	.venv/bin/python bench/vuln_scale.py

# Mutation testing of the security-relevant modules (mutmut; slow, CPU-heavy: on demand, not in CI).
# MODULES="fsutil github/limits" limits it; results in out/mutation/, survivors explained in docs/testing.md.
mutation: setup
	@MODULES="$(MODULES)" bash scripts/mutation.sh

clean:
	rm -rf .venv out .mypy_cache .ruff_cache .pytest_cache

bench-install: setup
	.venv/bin/python bench/install.py
