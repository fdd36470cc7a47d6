# One entry point for people and CI. `make venv` sets a machine up; `make test` runs the tests.
PYTHON ?= python3
VENV ?= venv
BIN := $(VENV)/bin

.PHONY: venv test clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt components/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

test: venv
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
