# outcomes-ledger: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install install-dev run test lint typecheck check bench bench-quick simulate clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed ## Create .venv and install the product

install-dev: $(VENV)/.installed-dev ## Create .venv and install the product with the dev tools

run: install ## Install, then start the demo service on embedded SQLite
	$(BIN)/outcomes demo --host $(HOST) --port $(PORT)

test: install-dev ## Install the dev tools and run every test and feature
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

HOURS ?= 1
simulate: install-dev ## Random histories through the whole ledger for HOURS hours (failures kept in tests/simulation/histories)
	SIM_EXPLORE=1 SIM_HOURS=$(HOURS) SIM_EXAMPLES=200 $(BIN)/python -m pytest tests/simulation -p no:cacheprovider -x

lint: install-dev ## ruff (lint and format check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev ## mypy --strict over the packages, the tests and the benchmarks
	$(BIN)/mypy

check: lint typecheck test ## Everything CI cares about

bench-quick: install-dev ## Benchmarks at 10k participants (no time assertions)
	$(BIN)/python -m bench --size 10k

bench: install-dev ## Benchmarks at 10k, 100k and 1M participants (results: bench/results/latest.json)
	$(BIN)/python -m bench --size 10k --size 100k --size 1m --out bench/results/latest.json

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
