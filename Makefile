# Two entry points, both self-contained on a fresh machine with Python 3.11:
#   make build   set up .venv, then validate records/, compile dist/ and render the site
#   make test    set up .venv, then run the whole test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: build test lint schema bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# setuptools prints an informational notice on every editable install of a package-dir layout
	# ("Editable installation ... be careful with folders ..."), a UserWarning about editable installs in
	# general, not this configuration; it is silenced for this one command.
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/python -m pip install --quiet -e '.[test,site]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/ptedb build
	$(BIN)/ptedb site

# A second environment for the tests of what users run beside ptedb: DuckDB 1.x with its httpfs extension
# installed from the package registry (httpfs packages exist only for 1.x; ptedb itself runs on DuckDB 2).
READERS := .venv-readers/.installed
$(READERS):
	$(PYTHON) -m venv .venv-readers
	.venv-readers/bin/python -m pip install --quiet "duckdb==1.5.5" "duckdb-extension-httpfs==1.5.5" "duckdb-extensions==1.5.5"
	touch $(READERS)

test: $(STAMP) $(READERS)
	bash tests/setup-browser.sh
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.harness --sizes real 10000 --repeat 5

schema: $(STAMP)
	$(BIN)/python -m ptedb.schema.generate

clean:
	rm -rf dist $(VENV) .venv-readers
