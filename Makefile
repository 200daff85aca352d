# kubefabric.bgp — `make demo` and `make test` work on a fresh Debian 12 machine (root, Python 3.11).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLL_ROOT := $(CURDIR)/.build
COLL_LINK := $(COLL_ROOT)/ansible_collections/kubefabric/bgp
STAMP := $(VENV)/.stamp
SYS_STAMP := .build/.sysdeps
DEB_PACKAGES := bird frr openssh-server openssh-client iputils-ping iproute2 git rsync procps
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_PYTHON_INTERPRETER := $(CURDIR)/$(BIN)/python
export ANSIBLE_LOCALHOST_WARNING := False
export ANSIBLE_INVENTORY_UNPARSED_WARNING := False
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help setup sysdeps venv collection sanity units integration molecule test demo lab-down build clean

help:
	@echo "make demo   - set everything up and run the main job against the embedded lab"
	@echo "make test   - set everything up and run every test (sanity, unit, integration, molecule)"

setup: sysdeps venv collection

sysdeps: $(SYS_STAMP)
$(SYS_STAMP):
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v kubectl >/dev/null 2>&1 || { echo "installing kubectl (Debian kubernetes-client)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client; }
	@mkdir -p .build && touch $@

venv: $(STAMP)
$(STAMP): requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

collection: $(COLL_LINK)
$(COLL_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@

sanity: setup
	$(BIN)/python -m tests.tools.sanity

units: setup
	$(BIN)/python -m pytest -q tests/unit

integration: setup
	$(BIN)/python -m pytest -q tests/integration

molecule: setup
	$(BIN)/python -m pytest -p no:cacheprovider -q tests/molecule

# The lab-heavy tests mostly wait on daemons and playbooks: three workers overlap the waiting on 2 cores.
# A test module stays on one worker (module-scoped labs and servers).
PYTEST_ARGS ?= -n 3 --dist loadfile
test: setup
	$(BIN)/python -m tests.tools.sanity
	$(BIN)/python -m pytest -p no:cacheprovider -q $(PYTEST_ARGS) tests/unit tests/integration tests/molecule

demo: setup
	$(BIN)/python -m lab demo

build: setup
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist .

lab-down: setup
	$(BIN)/python -m lab down --all

clean:
	rm -rf .build $(VENV) tests/output
