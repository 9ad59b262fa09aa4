# Two commands: `make demo` and `make test`. Both create .venv and install on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@# OPSIN (chemical names as input) runs on Java: install a runtime when there is none.
	@command -v java >/dev/null 2>&1 || { echo "installing a Java runtime for OPSIN"; \
	  (apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null) \
	  || echo "warning: no Java runtime: chemical names will not parse (SMILES, InChI, CAS still do)"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/classwide screen examples/catalogue.smi --format table

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps molsets==0.3.1
	$(BIN)/python bench/bench_lookup.py
	$(BIN)/python bench/bench_screen.py --limit 200000
	$(BIN)/python bench/bench_screen.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
