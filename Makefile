# The two commands of the README: `make demo` and `make test`.
# Each creates the venv and installs what it needs, so both work on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := tests/js/node_modules/.installed

.PHONY: demo test test-integration typecheck generate check-generated golden venv node-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(NODE_STAMP): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

node-deps: $(NODE_STAMP)

## Regenerate backend_ai_client/_generated/ from api_spec.json.
generate: $(STAMP)
	$(PY) -m generator

## Fail when the committed generated code differs from a fresh render.
check-generated: $(STAMP)
	$(PY) -m generator --check

## Refresh the golden tree of the generator's fixture spec.
golden: $(STAMP)
	$(PY) -m generator --spec tests/generator/fixture_spec.json --out tests/generator/golden

## Compare api_spec.json with the live JS SDK surface (installs backend.ai-client@21.3.1 into .cache/js-sdk/ once);
## exit 1 on drift. `$(PY) -m generator.sync --write-stubs` adds what JS has and the spec lacks as stubs.
.PHONY: spec-sync
spec-sync: $(STAMP)
	$(PY) -m generator.sync --js-version 21.3.1

## Start the embedded manager and run the README example against it.
demo: $(STAMP) generate
	$(PY) examples/demo.py

## Type-check the runtime and the generated code.
typecheck: $(STAMP)
	$(PY) -m mypy backend_ai_client

## Everything: generated-code check, type check, unit, golden, oracle (JS SDK under Node) and fault tests.
test: $(STAMP) $(NODE_STAMP) check-generated typecheck
	$(PY) -m pytest

## Bring the real Backend.AI manager stack up (needs root), run the integration suite, bring it down.
test-integration: $(STAMP) $(NODE_STAMP)
	bash tests/integration/stack/up.sh
	bash tests/integration/stack/server-errors.sh mark
	INTEGRATION_REQUIRED=1 $(PY) -m pytest -o addopts="-ra" tests/integration; status=$$?; \
	if [ $$status -ne 0 ]; then bash tests/integration/stack/server-errors.sh show; fi; \
	bash tests/integration/stack/down.sh; exit $$status

clean:
	rm -rf $(VENV) tests/js/node_modules .pytest_cache .hypothesis
