# One entry point for people and CI. `make plan` sets a machine up and plans the dev stack; `make test` runs the
# tests (CI runs exactly that).
PYTHON ?= python3
VENV ?= venv
BIN := $(VENV)/bin
STACK ?= dev

.PHONY: venv plan test benchmark clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt components/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

plan: venv
	$(BIN)/ecs-platform plan --stack $(STACK)

# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE): without it every worker,
# pack and CLI process a test starts compiles the package again, and pytest rewrites every test module's asserts
# again (about 3 s per worker).
test: venv
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n auto --dist loadfile

benchmark: venv
	$(BIN)/python benchmarks/plan_benchmark.py --write docs/benchmarks.md
	$(BIN)/python benchmarks/rehearsal_benchmark.py --write docs/benchmarks.md
	$(BIN)/python benchmarks/test_suite_benchmark.py --write docs/benchmarks.md

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# The policy pack's own environment, where policies/PulumiPolicy.yaml (virtualenv: venv) has Pulumi look for it: the
# Pulumi CLI installs a Python program's requirements but not a local policy pack's, so `pulumi preview --policy-pack
# policies` needs this first. CI runs it too.
.PHONY: policy-pack
policy-pack:
	$(PYTHON) -m venv policies/venv
	policies/venv/bin/pip install --quiet -r policies/requirements.txt
