# Two entry points, both self-contained on a fresh machine with Python 3.11:
#   make build   set up .venv, then validate records/, compile dist/ and render the site
#   make test    set up .venv, then run the whole test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: build test lint schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,site]'
	@$(BIN)/python -c "from ptedb.loaders import yaml_strict as y; y.ACCELERATED or print('note: the C loop over libyaml (loaders/_fastyaml.c) was not built, so record files are read in Python, about 0.6 s slower per 10,000 files; install a C compiler and libyaml headers (Debian: libyaml-dev), then make clean')"
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/ptedb build
	$(BIN)/ptedb site

test: $(STAMP)
	bash tests/setup-browser.sh
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

schema: $(STAMP)
	$(BIN)/python -m ptedb.schema.generate

clean:
	rm -rf dist $(VENV)
