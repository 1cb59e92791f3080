# The two commands in the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export VIR_DATA_DIR ?= $(CURDIR)/instance

.PHONY: run test lint install system-deps assets translations lock fresh-debian clean

# Exactly what requirements.lock names, each file checked against its hash; nothing is resolved
# at install time. `scripts/lock` regenerates the lock after a change to pyproject.toml.
$(BIN)/vir: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "VIR needs Python 3.11 or newer (PYTHON=$(PYTHON))." >&2; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 \
	  || { echo "Python's venv module is missing: install python3-venv." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/vir

## Run the portal on embedded defaults (SQLite, files on disk, local index) with demo data.
run: $(BIN)/vir
	bash scripts/run-deps
	$(BIN)/vir db upgrade
	$(BIN)/vir demo
	VIR_COOKIE_SECURE=0 VIR_BASE_URL=http://127.0.0.1:5000 $(BIN)/vir serve --host 127.0.0.1 --port 5000

## Install everything the tests need (Debian packages too), lint, and run the whole suite.
test: $(BIN)/vir system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check vir tests bench
	$(BIN)/pytest

system-deps:
	bash scripts/system-deps

lint: $(BIN)/vir
	$(BIN)/ruff check .
	$(BIN)/ruff format --check vir tests bench

## Maintainers: rebuild static/ (needs Node.js) and the compiled Welsh catalogue.
assets:
	bash scripts/build-assets

translations: $(BIN)/vir
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project VIR -o vir/translations/messages.pot .
	$(BIN)/pybabel update -i vir/translations/messages.pot -d vir/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d vir/translations --statistics

## The two commands above on a clean Debian 12 root (debootstrap; needs root; about 30 min).
fresh-debian:
	bash scripts/fresh-debian

## Maintainers: regenerate requirements.lock (hashes) after changing pyproject.toml.
lock:
	bash scripts/lock

clean:
	rm -rf $(VENV) instance .pytest_cache
