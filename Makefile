# The front door: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
# Both install what is missing first and are cheap to repeat.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: run test setup test-setup system-deps system-deps-test assets lint bench clean-db

run: setup
	$(BIN)/ecogrid serve --demo

test: test-setup
	$(BIN)/ruff check .
	$(BIN)/mypy ecogrid geo maps api
	$(BIN)/pytest

setup: system-deps $(STAMP) assets

test-setup: system-deps-test $(STAMP) assets

system-deps:
	@bash scripts/install-system-deps.sh

system-deps-test:
	@bash scripts/install-system-deps.sh --test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

assets: $(STAMP)
	@$(BIN)/python -m maps.assets install

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy ecogrid geo maps api

bench: setup
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/suspects.py
	$(BIN)/python bench/heatmap.py

clean-db:
	-$(BIN)/ecogrid db stop
	rm -rf var
