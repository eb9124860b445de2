# Two commands do all the set-up on a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BASE   := $(VENV)/.base-installed
TESTS  := $(VENV)/.test-installed

.PHONY: site test lint clean

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

lint: $(TESTS)
	$(PY) -m ruff check digest tests benchmarks build.py
	$(PY) -m mypy

test: lint
	$(PY) -m pytest

clean:
	rm -rf public .digest-cache
