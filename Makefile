# One-word entry points for every chore. `make run` and `make test` work on a
# fresh clone: they create .venv and install the pinned dependencies first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
HOST ?= 127.0.0.1
PORT ?= 8000
# npm's record of what it installed, so make sees when package-lock.json is newer.
NODE_MODULES := node_modules/.package-lock.json

.PHONY: run test lint typecheck test-sqlite test-postgres system-deps messages bench clean

$(BIN)/hotwash: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null \
		|| $(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## Serve a full instance on http://$(HOST):$(PORT) with demo data.
run: $(BIN)/hotwash
	$(BIN)/hotwash migrate --no-input
	$(BIN)/hotwash demo --if-empty
	$(BIN)/hotwash serve --host $(HOST) --port $(PORT)

## Lint, type-check, then the whole suite on SQLite and on PostgreSQL. The two
## runs share nothing (throwaway databases, free ports, temporary folders) and
## spend much of their time waiting on servers, so they run side by side.
test: lint typecheck system-deps $(NODE_MODULES)
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

lint: $(BIN)/hotwash
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(BIN)/hotwash
	$(BIN)/mypy

test-sqlite: $(BIN)/hotwash $(NODE_MODULES)
	DATABASE_URL=sqlite:///:memory: $(BIN)/pytest -p no:cacheprovider

test-postgres: $(BIN)/hotwash $(NODE_MODULES)
	DATABASE_URL=$(PG_URL) HOTWASH_TEST_DATABASE_NAME=test_hotwash_$$$$ $(BIN)/pytest -p no:cacheprovider

## The npm packages the browser tests inject into pages (axe-core), pinned in
## package-lock.json.
$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund

## Debian packages the tests drive: Chromium (browser tests), npm (axe-core for
## them), gettext (catalogue checks), Prometheus Alertmanager (alert webhooks
## from the real thing), Prometheus (scrapes /metrics; promtool checks the
## shipped scrape config and alert rules).
DEBIAN_PACKAGES := $(if $(shell command -v chromium),,chromium) $(if $(shell command -v npm),,npm) \
	$(if $(shell command -v msgfmt),,gettext) \
	$(if $(shell command -v prometheus-alertmanager),,prometheus-alertmanager) \
	$(if $(shell command -v prometheus),,prometheus)
system-deps:
	@if [ -n "$(strip $(DEBIAN_PACKAGES))" ]; then \
		echo "Installing from Debian: $(DEBIAN_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; \
	fi

## Regenerate the French catalogue after changing strings.
messages: $(BIN)/hotwash
	cd src/hotwash && ../../$(BIN)/hotwash makemessages -l fr --no-location --no-obsolete -d django
	cd src/hotwash && ../../$(BIN)/hotwash makemessages -l fr --no-location --no-obsolete -d djangojs
	$(BIN)/hotwash compilemessages --ignore=.venv

bench: $(BIN)/hotwash
	$(BIN)/python bench/core.py
	$(BIN)/python bench/reminders.py

clean:
	rm -rf $(VENV) node_modules data .pytest_cache .mypy_cache .ruff_cache
