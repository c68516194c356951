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

clean:
	rm -rf .venv out .mypy_cache .ruff_cache .pytest_cache

bench-install: setup
	.venv/bin/python bench/install.py
