# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint pytest clean

$(STAMP): pyproject.toml setup.py src/careflow/model/_children.pyx
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/careflow demo --output out/demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

pytest: $(STAMP)
	$(BIN)/pytest -n 2

test: lint pytest

clean:
	rm -rf $(VENV) out .pytest_cache
