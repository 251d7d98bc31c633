# microdiff's commands. Each sets itself up: a virtual environment in .venv with what it needs.
#   make test   — the test suite (unit, property, sympy and PyTorch cross-checks, lessons)
#   make demo   — the main job: train an MLP on two moons, write pictures to out/
#   make lint   — ruff and mypy
# EXTRAS adds optional extras to the install, e.g. `make test EXTRAS=dev,torch`.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS ?= dev
comma  := ,
STAMP  := $(VENV)/installed-$(subst $(comma),-,$(EXTRAS)).stamp

.PHONY: test demo lint bench lessons dot chromium clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing python3-venv with apt"; apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && \
	    rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	  else echo "python3 -m venv failed: install your distribution's python3-venv package" >&2; exit 1; fi; }
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	@touch $@

# Graphviz's `dot` draws the graphs; install it with apt when it is missing and we are root.
dot:
	@command -v dot >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing graphviz with apt"; apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
	  else echo "note: Graphviz's dot is missing (apt-get install graphviz); drawings fall back to DOT text"; fi; }

# Chromium loads the training explorer's page in its browser test; install Debian's package when missing.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium with apt"; apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: chromium is missing (apt-get install chromium); the explorer's browser tests will skip"; fi; }

test: $(STAMP) dot chromium
	$(BIN)/python -m pytest

demo: $(STAMP) dot
	$(BIN)/python -m microdiff demo --out out/

bench: $(STAMP)
	$(BIN)/python -m pip install -q 'micrograd==0.1.0'
	$(BIN)/python benchmarks/run.py

lessons: $(STAMP) dot
	$(BIN)/python -m pip install -q 'jupyterlab>=4'
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/python -m ruff check microdiff tests benchmarks
	$(BIN)/python -m ruff format --check microdiff tests benchmarks
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
