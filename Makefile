# Thin wrappers; see README.md.
VENV := .venv
PY := $(VENV)/bin/python
export DJANGO_DEBUG ?= true

.PHONY: install run test test-fast lint bench format

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

# axe-core (accessibility checks in the browser tests) comes from the npm registry.
# Optional on a developer's machine (the accessibility test is skipped without it; CI has it).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: axe-core not installed, the accessibility test will be skipped."; fi

install: $(VENV)/.installed node_modules/.installed

run: install
	scripts/run-dev

test: install
	DOCUSIGN_SIMULATOR=true $(VENV)/bin/pytest $(PYTEST_ARGS)

# The inner loop: no browser, no live server, no real processes or waits (under a minute).
FAST := not browser and not slow and not live
test-fast: install
	DOCUSIGN_SIMULATOR=true $(VENV)/bin/pytest -m "$(FAST)" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DOCUSIGN_SIMULATOR=true $(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports  # import contracts: [tool.importlinter] in pyproject.toml

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) benchmarks/run_all.py
