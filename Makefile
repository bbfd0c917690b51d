# autocom: `make run` serves the examples, `make test` runs every check.
# Both work on a fresh Debian 12 machine as root.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= examples/autocom.yaml
# Debian packages: the venv, and the real parts the tests run (Redis, OpenLDAP, SIPp,
# PostgreSQL, debootstrap for the Asterisk 22 root, chromium for the portal).
RUN_DEBS := python3-venv python3-dev
TEST_DEBS := $(RUN_DEBS) redis-server redis-sentinel dnsmasq-base slapd ldap-utils sip-tester debootstrap postgresql systemd chromium chromium-driver

.PHONY: run test lint typecheck unit integration e2e bench asterisk-root bookworm-root deb debs-run debs-test clean

run: $(BIN)/autocom
	$(BIN)/autocom -c $(CONFIG) check
	$(BIN)/autocom -c $(CONFIG) serve

test: debs-test $(BIN)/.test-deps asterisk-root bookworm-root lint typecheck
	$(BIN)/pytest -q tests

lint: $(BIN)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.test-deps
	$(BIN)/mypy autocom apps

unit: $(BIN)/.test-deps
	$(BIN)/pytest -q tests/unit

integration: $(BIN)/.test-deps
	$(BIN)/pytest -q tests/integration

e2e: $(BIN)/.test-deps asterisk-root
	$(BIN)/pytest -q tests/e2e

bench: $(BIN)/.bench-deps
	$(BIN)/python bench/agi_compare.py

asterisk-root:
	bash scripts/asterisk-root.sh

# the Debian 12 root where tests/integration/packaging installs the package
bookworm-root:
	sh scripts/bookworm-root.sh

# dist/autocom_<version>_<arch>.deb (dpkg-deb; docs/deployment.md)
deb:
	sh scripts/build-deb.sh dist

debs-run:
	@bash scripts/apt-install.sh $(RUN_DEBS)

debs-test:
	@bash scripts/apt-install.sh $(TEST_DEBS)

$(BIN)/python: | debs-run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(BIN)/autocom: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(BIN)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

$(BIN)/.bench-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache examples/var
