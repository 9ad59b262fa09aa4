# Two commands: `make demo` and `make test`. Both create .venv and install on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JSME := src/classwide/static/vendor/jsme
SWAGGER := src/classwide/static/vendor/swagger-ui

.PHONY: demo test install bench serve clean

install: $(STAMP)

$(STAMP): pyproject.toml web/package-lock.json
	@# OPSIN (chemical names as input) runs on Java: install a runtime when there is none.
	@command -v java >/dev/null 2>&1 || { echo "installing a Java runtime for OPSIN"; \
	  (apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null) \
	  || echo "warning: no Java runtime: chemical names will not parse (SMILES, InChI, CAS still do)"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# The page's structure editor (JSME, from the npm registry) is served by the project
	@# itself: no CDN. Without npm the page still works, with text input only.
	@if command -v npm >/dev/null 2>&1; then \
	  (cd web && npm ci --no-audit --no-fund --silent) && rm -rf $(JSME) && mkdir -p $(JSME) && \
	  cp -r web/node_modules/jsme-editor/. $(JSME)/ && \
	  rm -rf $(SWAGGER) && mkdir -p $(SWAGGER) && \
	  cp web/node_modules/swagger-ui-dist/swagger-ui-bundle.js web/node_modules/swagger-ui-dist/swagger-ui.css \
	     web/node_modules/swagger-ui-dist/LICENSE $(SWAGGER)/ ; \
	else echo "warning: no npm: the page's structure editor and /docs are not installed"; fi
	@# Browser tests drive Debian's Chromium with its ChromeDriver.
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || \
	  { (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "warning: no Chromium: the browser test will fail"; }
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
	$(BIN)/python bench/bench_rich.py
	$(BIN)/python bench/bench_load.py --clients 50 --seconds 60

serve: $(STAMP)
	$(BIN)/classwide serve

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache web/node_modules $(JSME) $(SWAGGER)
