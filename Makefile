# Two commands do all the set-up on a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BASE   := $(VENV)/.base-installed
TESTS  := $(VENV)/.test-installed
# Browser and HTML-checker tests: Debian's chromium (never `playwright install`: it downloads a browser and
# fails offline), Java for the Nu Html Checker, and axe-core + vnu-jar from the committed package-lock.json.
CHROMIUM := /usr/bin/chromium
NODE     := node_modules/.installed

.PHONY: site test lint clean browser-deps

$(BASE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(TESTS): $(BASE) pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

site: $(BASE)
	$(PY) build.py

$(CHROMIUM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

$(NODE): package.json package-lock.json
	command -v java >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless)
	command -v npm >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm)
	npm ci --ignore-scripts --no-audit --no-fund || npm install --ignore-scripts --no-audit --no-fund
	touch $@

browser-deps: $(CHROMIUM) $(NODE)

lint: $(TESTS)
	$(PY) -m ruff check digest tests benchmarks build.py
	$(PY) -m mypy

test: lint browser-deps
	$(PY) -m pytest

clean:
	rm -rf public .digest-cache
