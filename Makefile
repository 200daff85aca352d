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
DEB_PACKAGES := bird frr openssh-server openssh-client iputils-ping iproute2 git rsync procps graphviz chromium
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_PYTHON_INTERPRETER := $(CURDIR)/$(BIN)/python
export ANSIBLE_LOCALHOST_WARNING := False
export ANSIBLE_INVENTORY_UNPARSED_WARNING := False
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help setup sysdeps venv importer-venv collection sanity lint docs docs-images units integration molecule release-checks test demo \
	lab-down build ee changelog clean

help:
	@echo "make demo   - set everything up and run the main job against the embedded lab"
	@echo "make test   - set everything up and run every test (sanity, galaxy-importer, EE context, ansible-lint, docs site in Chromium, unit, integration, molecule)"
	@echo "make lab-down - take down the demo's lab (every lab on the machine: python -m lab down --all)"
	@echo "make build  - the collection tarball in .build/dist;  make ee - the execution environment's build context"
	@echo "make docs   - build the docs site into .build/docs/html (modules, filters, roles, guides, pictures)"

setup: sysdeps venv importer-venv collection

sysdeps: $(SYS_STAMP)
$(SYS_STAMP): Makefile
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

# galaxy-importer has pins of its own (attrs, ansible-lint): it gets a venv of its own.
IMPORTER_VENV := .build/importer-venv
IMPORTER_STAMP := $(IMPORTER_VENV)/.stamp
importer-venv: $(IMPORTER_STAMP)
$(IMPORTER_STAMP): requirements-importer.txt constraints-importer.txt
	$(PYTHON) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-importer.txt -c constraints-importer.txt
	touch $@

# The checkout as kubefabric.bgp, and galaxy.yml's dependencies (kubernetes.core) installed beside it
# with `ansible-galaxy collection install --offline` from the `ansible` package's copy (no Galaxy here).
DEPS_STAMP := $(COLL_ROOT)/.deps
collection: $(COLL_LINK) $(DEPS_STAMP)
$(COLL_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(CURDIR) $@
$(DEPS_STAMP): galaxy.yml $(STAMP)
	$(BIN)/python -m tests.tools.release deps $(COLL_ROOT)
	touch $@

sanity: setup
	$(BIN)/python -m tests.tools.sanity

# ansible-lint's production profile (.ansible-lint) over what a user runs: the roles and the playbooks.
lint: setup
	$(BIN)/ansible-lint --offline --nocolor roles/ playbooks/

# The docs site (antsibull-docs pages of modules, filters and roles, the guides, the topology pictures).
docs: setup
	$(BIN)/python docs/site/build.py $(CURDIR)/.build/docs/html

# Redraw the pictures the guides show in the repository (docs/images/) from the example inventories.
docs-images: setup
	$(BIN)/python docs/site/build.py --images

units: setup
	$(BIN)/python -m pytest -q tests/unit

integration: setup
	$(BIN)/python -m pytest -q tests/integration

molecule: setup
	$(BIN)/python -m pytest -p no:cacheprovider -q tests/molecule

# galaxy-importer on the built tarball (0 errors) and `ansible-builder create` on execution-environment.yml
release-checks: setup
	$(BIN)/python -m tests.tools.release importer
	$(BIN)/python -m tests.tools.release ee

# The lab-heavy tests mostly wait on daemons and playbooks: three workers overlap the waiting on 2 cores.
# A test module stays on one worker (module-scoped labs and servers).
PYTEST_ARGS ?= -n 3 --dist loadfile
# tests.tools.leakcheck ends the run with a check that no process it started and no namespace it made is left.
test: setup
	$(BIN)/python -m tests.tools.sanity
	$(MAKE) --no-print-directory release-checks
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -p no:cacheprovider -p tests.tools.leakcheck -q $(PYTEST_ARGS) tests/unit tests/integration tests/molecule

demo: setup
	$(BIN)/python -m lab demo

build: setup
	$(BIN)/python -m tests.tools.release build .build/dist

# the build context of the execution environment (no container build: `podman build` it where there is one)
ee: setup
	$(BIN)/python -m tests.tools.release ee .build/ee/context

# release notes: changelogs/fragments/ into the release of galaxy.yml's version (a release that exists gets the
# new fragments added), changelogs/changelog.yaml and CHANGELOG.rst
changelog: setup
	$(BIN)/antsibull-changelog release --version $$($(BIN)/python -c 'import yaml;print(yaml.safe_load(open("galaxy.yml"))["version"])')

# the demo's lab only; every lab on the machine is `python -m lab down --all`, on purpose never a make target
lab-down: setup
	$(BIN)/python -m lab down examples/demo/inventory.yml

clean:
	rm -rf .build $(VENV) tests/output
