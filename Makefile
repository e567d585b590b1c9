# The two commands the README starts with: `make demo` (the main job) and `make test`.
# Each does all of its own set-up on a fresh machine: the virtual environment, the pinned
# dependencies and the Pulumi CLI (see scripts/install-pulumi).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VENV_STAMP := $(VENV)/.installed
BIN := $(VENV)/bin
# The Pulumi CLI's folder goes first on PATH for every recipe that needs it.
WITH_PULUMI = PATH="$$(scripts/install-pulumi):$(CURDIR)/$(BIN):$$PATH"

.PHONY: help demo test lint typecheck unit e2e bench toolchain venv clean

help:
	@echo "make demo   - run the stack on the local Cloudflare emulator (no account needed)"
	@echo "make test   - lint, type-check and run every test, end-to-end on the real Pulumi CLI"
	@echo "make bench  - run the benchmarks (prints ratios; not pass/fail)"

$(VENV_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

venv: $(VENV_STAMP)

toolchain:
	scripts/install-pulumi >/dev/null

demo: $(VENV_STAMP)
	$(WITH_PULUMI) $(BIN)/python -m scripts.demo

lint: $(VENV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV_STAMP)
	$(BIN)/mypy

test: lint typecheck toolchain
	$(WITH_PULUMI) $(BIN)/python -m pytest

bench: $(VENV_STAMP) toolchain
	@for b in bench/bench_*.py; do m=$${b%.py}; $(WITH_PULUMI) $(BIN)/python -m $${m//\//.}; done

clean:
	rm -rf $(VENV) .demo .mypy_cache .ruff_cache .pytest_cache
