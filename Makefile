# Two commands on a fresh machine: `make generate` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: help venv generate check lint test bench fuzz mutation clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]'
	touch $@

venv: $(STAMP) ## create .venv with the toolkit and its dev tools

generate: $(STAMP) ## regenerate generated/ from spec/
	$(PY) -m generator generate

check: $(STAMP) ## fail when generated/ is stale against spec/ (drift check)
	$(PY) -m generator generate --check

lint: $(STAMP) ## ruff and mypy --strict
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint $(STAMP) ## everything CI runs: lint, the test suite, the drift check
	$(PY) -m pytest -n 2
	$(MAKE) --no-print-directory check

bench: $(BENCH_STAMP) ## benchmarks, side by side with the alternatives, as ratios
	$(PY) bench/run.py

fuzz: $(STAMP) ## the property suite with thousands of examples each (profile `deep`)
	HYPOTHESIS_PROFILE=deep $(PY) -m pytest -n 2 tests/test_contract.py tests/test_corpus.py tests/test_pydantic_flavour.py tests/test_names.py \
		tests/test_properties.py tests/test_models.py tests/test_validator_compiler.py tests/test_core_signing.py tests/test_core_xml.py

mutation: $(STAMP) ## plant deliberate bugs; every one must be caught by a test
	$(PY) tools/mutation.py

clean: ## remove the environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
