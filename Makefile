# dms-operator developer commands. `make help` lists them.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(VENV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

.PHONY: venv
venv: $(VENV_STAMP) ## Create .venv with the operator, the simulator and the test tools

.PHONY: system-deps
system-deps: ## Install PostgreSQL and MariaDB from Debian's packages when missing
	bash hack/install-system-deps.sh

.PHONY: kube-binaries
kube-binaries: venv ## Build (first run) or find kube-apiserver, etcd, kubectl and helm
	$(BIN)/dms-testenv build

.PHONY: sandbox
sandbox: venv system-deps kube-binaries ## Start the local sandbox (control plane, databases, DMS simulator, operator, examples)
	$(BIN)/python -m dms_testenv.sandbox up

.PHONY: sandbox-down
sandbox-down: venv ## Stop everything the sandbox started
	$(BIN)/python -m dms_testenv.sandbox down

.PHONY: clean-sandbox
clean-sandbox: sandbox-down ## Stop the sandbox and delete .sandbox/
	rm -rf .sandbox

.PHONY: lint
lint: venv ## Run ruff and mypy
	$(BIN)/ruff check operator tests benchmarks
	$(BIN)/ruff format --check operator tests benchmarks
	$(BIN)/mypy

.PHONY: test
test: venv system-deps kube-binaries ## Run the whole test suite against a real control plane and real databases
	$(BIN)/pytest $(PYTEST_ARGS)

.PHONY: test-unit
test-unit: venv ## Run only the unit tests (no servers)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

.PHONY: bench
bench: venv kube-binaries ## Run the operator benchmark (50 databases; prints figures)
	$(BIN)/python benchmarks/operator_scale.py

.PHONY: clean
clean: ## Remove the virtualenv and caches (the built binaries stay in ~/.cache/dms-operator)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
