# Two entry points matter: `make run` (the whole platform on embedded defaults) and
# `make test` (everything CI runs). Both install what they need first.
SHELL := /bin/bash
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: install run test lint bench chaos clean

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml shared/devtools/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages
	touch $@

install: .venv/.synced

run: install
	$(PY) -m wenze_devtools.devstack

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Lint, format check and type check: what CI runs before the tests.
lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy

bench: install
	$(PY) -m wenze_devtools.bench

chaos: install
	$(PY) -m wenze_devtools.chaos

clean:
	rm -rf .venv $(TOOLS) var
