# Vaka — `make run` (try it) and `make test` (check it). See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/vaka/static/vendor
export VAKA_DATA_DIR ?= var

.PHONY: run install assets test test-sqlite test-postgres system-deps lint messages clean

run: install
	$(BIN)/vaka migrate --noinput
	$(BIN)/vaka collectstatic --noinput -v 0
	$(BIN)/vaka demo
	$(BIN)/vaka serve --host 127.0.0.1 --port 8000

install: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/htmx
	cp node_modules/bootstrap/dist/css/bootstrap.min.css* \
	   node_modules/bootstrap/dist/css/bootstrap.rtl.min.css* \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* $(VENDOR)/bootstrap/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	touch $@

system-deps:
	scripts/install-system-deps

# The whole suite, on SQLite and then on a throwaway PostgreSQL server.
test: install system-deps
	scripts/audit-dependencies
	$(MAKE) --no-print-directory test-sqlite test-postgres

test-sqlite: install
	$(BIN)/ruff check src tests
	scripts/run-tests

# Run once, in the SQLite pass: tests that never reach the database (pure parsers), that
# bring their own SQLite instance (the Celery integration test), the browser journeys
# (the same pages, whose queries the client tests check on both databases), and every test
# marked one_database (each says why).
test-postgres: install
	scripts/with-postgres scripts/run-tests --ignore=tests/intel/parsing \
	  --ignore=tests/integration --ignore=tests/e2e --deselect=tests/fuzz/test_parsers_fuzz.py \
	  -m "not one_database"

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

# Refresh the translation catalogues after changing interface strings.
messages: install
	cd src/vaka && ../../$(BIN)/vaka makemessages -l fr -l es -l ar --no-obsolete
	cd src/vaka && ../../$(BIN)/vaka compilemessages

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache
