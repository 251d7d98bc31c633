# microdiff's commands. Each sets itself up: a virtual environment in .venv with what it needs, and no more.
#   make test   — the test suite (unit, property, sympy and PyTorch cross-checks, lessons): the dev extra
#   make demo   — the main job: train an MLP on two moons, write pictures to out/: the plot extra only
#   make lint   — ruff and mypy: the dev extra
#   make lessons — JupyterLab on the lessons: the lessons extra
#   make site   — the lessons in the browser (JupyterLite) and the documentation, in site/: the site extra
# EXTRAS adds optional extras to the test install, e.g. `make test EXTRAS=dev,torch`. On Linux PyPI's torch is the
# CUDA build (several GB); TORCH_INDEX=https://download.pytorch.org/whl/cpu gets the CPU-only wheel instead.
# Graphviz's dot and Chromium are installed with apt when missing and we are root; otherwise a note says so
# and the tests that need them are reported as skipped, with the reason.

PYTHON      ?= python3
VENV        ?= .venv
BIN         := $(VENV)/bin
EXTRAS      ?= dev
TORCH_INDEX ?=
comma       := ,
STAMP       := $(VENV)/installed-$(subst $(comma),-,$(EXTRAS)).stamp
# jupyter refuses to run as root unless told it may (a container's user is often root)
ALLOW_ROOT   = $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
APT_GET     := DEBIAN_FRONTEND=noninteractive apt-get

.DEFAULT_GOAL := help
.PHONY: help test demo lint bench lessons site site-check dot chromium npm clean

help:
	@echo "make demo      train a small network on two moons; pictures and the explorer go to out/"
	@echo "make test      the test suite (installs what it needs into .venv the first time)"
	@echo "make lint      ruff and mypy"
	@echo "make bench     the benchmarks against micrograd and PyTorch"
	@echo "make lessons   the lessons in JupyterLab"
	@echo "make site      the lessons in the browser and the documentation, in site/ (python -m http.server -d site)"
	@echo "make site-check  run every lesson of the site in headless Chromium, offline (CI runs it)"
	@echo "make clean     remove .venv, out/ and the caches"
	@echo "Options: EXTRAS=dev,torch (PyTorch cross-checks), TORCH_INDEX=https://download.pytorch.org/whl/cpu"
	@echo "(CPU-only PyTorch), PYTHON=python3.12 (which Python makes .venv). Afterwards run the commands with"
	@echo ".venv/bin/python -m microdiff ..., or after '. .venv/bin/activate' with python -m microdiff ..."

# The environment: Python >= 3.10 with venv (Debian and Ubuntu package it apart as python3-venv).
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null || { \
	  echo "error: microdiff needs Python 3.10 or newer; '$(PYTHON)' is" \
	       "$$($(PYTHON) -c 'import sys; sys.stdout.write("Python " + sys.version.split()[0])' 2>/dev/null || echo 'not found')." \
	       "Install one, or name it: make test PYTHON=python3.12" >&2; exit 1; }
	@echo "Making the virtual environment $(VENV) with $$($(PYTHON) --version 2>&1)"
	@$(PYTHON) -m venv $(VENV) >/dev/null || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing python3-venv with apt-get"; $(APT_GET) update -qq; $(APT_GET) install -y -qq python3-venv >/dev/null; \
	    $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }; \
	  else echo "error: '$(PYTHON) -m venv' failed: install your distribution's python3-venv package" >&2; exit 1; fi; }
	$(BIN)/python -m pip install -q --upgrade pip

# installed-dev-torch.stamp: microdiff with the extras dev and torch, and so on. pip shows each package as it
# goes; the first install takes a minute or two (several minutes with torch).
$(VENV)/installed-%.stamp: pyproject.toml | $(BIN)/python
	@echo "Installing microdiff and its extras [$(subst -,$(comma),$*)] into $(VENV): the first time takes a minute or two"
	$(BIN)/python -m pip install $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -e '.[$(subst -,$(comma),$*)]'
	@touch $@

# $(call install,WHAT,WORKS,PACKAGES,WITHOUT): when the shell test WORKS fails, install with apt-get, as root,
# the first of PACKAGES that makes it pass; otherwise, or when none does, say what is missing and what happens
# WITHOUT it, and go on (exit status 0: a missing tool skips tests, it never stops `make test`).
define install
if $(2); then exit 0; fi; \
if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
  echo "note: $(1) is missing; $(4). To install it: apt-get install $(firstword $(3)) (as root) or your system's package."; \
  exit 0; fi; \
echo "Updating apt's package lists to install $(1)"; \
$(APT_GET) update -qq || echo "note: apt-get update failed; trying the lists there are"; \
for package in $(3); do \
  echo "Installing $$package with apt-get (a minute or two)"; \
  $(APT_GET) install -y -qq $$package >/dev/null; \
  if $(2); then echo "$(1) works now"; exit 0; fi; \
  echo "note: apt-get install $$package did not give a working $(1)"; \
done; \
echo "note: could not install $(1) (tried: $(3)); $(4)"
endef

DOT_WORKS      := dot -V >/dev/null 2>&1
CHROMIUM_WORKS := { "$${MICRODIFF_CHROMIUM:-chromium}" --version || chromium --version || chromium-browser --version \
                    || chromium-headless-shell --version; } >/dev/null 2>&1

NPM_WORKS      := npm --version >/dev/null 2>&1

# Graphviz's dot draws the graphs; without it drawings fall back to DOT text.
dot:
	@$(call install,Graphviz's dot,$(DOT_WORKS),graphviz,the drawing tests will skip and drawings fall back to DOT text)

# Chromium runs the explorer's browser tests: Debian's package is chromium, Ubuntu's chromium-browser.
chromium:
	@$(call install,Chromium,$(CHROMIUM_WORKS),chromium chromium-browser chromium-headless-shell,the explorer's browser tests will skip)

# npm brings the site's JavaScript parts: Pyodide, Graphviz in WebAssembly, MathJax.
npm:
	@$(call install,npm,$(NPM_WORKS),npm,make site cannot build the lessons for the browser)

test: $(STAMP) dot chromium
	$(BIN)/python -m pytest

demo: $(VENV)/installed-plot.stamp dot
	$(BIN)/python -m microdiff demo --out out/

bench: $(STAMP)
	$(BIN)/python -m pip install -q 'micrograd==0.1.0'
	$(BIN)/python benchmarks/run.py

lessons: $(VENV)/installed-lessons.stamp dot
	$(BIN)/jupyter lab $(ALLOW_ROOT) notebooks/

# The site: its tools go into .venv too (JupyterLite, Sphinx); the browser's packages are pinned in tools/site/.
SITE_STAMP := $(VENV)/installed-site.stamp
$(SITE_STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing the site's tools (JupyterLite, Sphinx, myst-nb) into $(VENV)"
	$(BIN)/python -m pip install $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -e '.[site]'
	@touch $@

site: $(SITE_STAMP) dot npm
	$(BIN)/python tools/site/build.py --out site
	@echo "Open it: $(BIN)/python -m http.server -d site, then http://127.0.0.1:8000/"

# The lessons with their solutions, every cell run in Chromium with no network but the site; then every page of
# site/ (make site first) opened the same way.
site-check: $(SITE_STAMP) npm chromium
	$(BIN)/python tools/site/build.py --check --out build/site-check
	$(BIN)/python tools/site/run_lessons.py build/site-check
	@if [ -f site/index.html ]; then $(BIN)/python tools/site/run_lessons.py site --pages; \
	else echo "note: no site/ to check the documentation's pages in: run make site first"; fi

lint: $(STAMP)
	$(BIN)/python -m ruff check microdiff tests benchmarks
	$(BIN)/python -m ruff format --check microdiff tests benchmarks
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis site build/site-cache build/site-check docs/lessons docs/api
