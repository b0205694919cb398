# Voronka — the two commands are `make run` and `make test`; everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install vendor run serve test lint format messages bench clean chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip 2>/dev/null || true
	$(PIP) -e '.[dev]' 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	@$(BIN)/python -c "import voronka, django, django_tasks_db, phonenumbers" || (echo "installation failed" >&2; exit 1)
	@touch $(STAMP)

## Front-end libraries from npm (package-lock.json), copied into the web app's static/vendor/ (no CDN).
VENDOR := src/voronka/web/static/vendor/.installed
$(VENDOR): package-lock.json scripts/vendor.mjs
	npm ci --no-audit --no-fund --silent
	node scripts/vendor.mjs
	@touch $(VENDOR)

vendor: $(VENDOR)

install: $(STAMP) $(VENDOR)

## make run: install, migrate, load the demo data once, create the admin user, serve on http://$(HOST):$(PORT)
run: install vendor
	$(BIN)/voronka migrate --noinput -v 0
	$(BIN)/voronka collectstatic --noinput -v 0
	$(BIN)/voronka demo --if-empty
	$(BIN)/voronka ensure-admin
	$(BIN)/voronka serve --host $(HOST) --port $(PORT)

## make test: install, lint, then the whole suite (browser tests included) on $$DATABASE_URL or SQLite
test: install vendor lint chromium
	$(BIN)/pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/voronka makemigrations --check --dry-run -v 1
	$(BIN)/voronka check --fail-level WARNING

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Russian translations: every app with a locale/ folder
messages: install
	cd src/voronka && for app in $$(ls -d */locale | cut -d/ -f1); do \
		(cd $$app && ../../../$(BIN)/voronka makemessages -l ru --no-obsolete -v 0 || exit 1); done
	cd src/voronka && for app in $$(ls -d */locale | cut -d/ -f1); do \
		(cd $$app && ../../../$(BIN)/voronka compilemessages -v 0 || exit 1); done

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules src/voronka/web/static/vendor var/test-* .pytest_cache .ruff_cache
