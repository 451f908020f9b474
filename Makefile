# Two commands matter: `make demo` (set up, generate, train, register, serve) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= data
DEMO_ROWS ?= 2000
DEMO_SEED ?= 1

.PHONY: setup lint format test demo clean

setup: $(STAMP)

# Re-install only when the project's dependencies change; a second `make setup` does nothing.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup lint
	$(BIN)/pytest

demo: setup
	rm -rf $(DATA)/sample
	$(BIN)/appraise data synth $(DATA)/sample --rows $(DEMO_ROWS) --seed $(DEMO_SEED)
	$(BIN)/appraise data check $(DATA)/sample

clean:
	rm -rf $(DATA) mlruns mlartifacts mlflow.db .pytest_cache .mypy_cache .ruff_cache
