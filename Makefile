# The two set-up commands: `make run` (install and serve) and `make test` (install and test).
PYTHON ?= $(shell command -v python3.11 || command -v python3.12)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install system-deps lint bench bench-stats

run: install system-deps
	$(BIN)/miaopi serve

test: install system-deps lint
	$(BIN)/pytest
	@echo "== the same tests on PostgreSQL =="
	APPROVAL_TEST_POSTGRES_URL=$$(sh scripts/postgres.sh) $(BIN)/pytest -q

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is needed (durable-rules does not build on 3.13)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

system-deps:
	@sh scripts/system-deps.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install system-deps
	$(BIN)/python loadtest/bench_submit.py
	$(BIN)/python loadtest/bench_simulation.py

bench-stats: install
	$(BIN)/python loadtest/bench_stats.py
