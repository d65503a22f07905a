# Two set-up commands, both self-installing: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
export NONGXIN_HOME ?= $(CURDIR)/.nongxin
export MLFLOW_DISABLE_TELEMETRY := true
export PYTHONHASHSEED := 0

.PHONY: demo test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the project metadata changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,spark]'
	touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/nongxin demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check rating_models bureau_adapters credit_limit model_registry scoring_service tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

test: lint typecheck pytest

bench: $(VENV)/.installed-dev
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@echo "see BENCHMARKS.md for the command of each benchmark"

clean:
	rm -rf $(VENV) .nongxin .pytest_cache .mypy_cache .ruff_cache
