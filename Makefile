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
# Where `make test` writes each suite's full output (gitignored).
TEST_LOGS ?= test-logs
# Extra pytest arguments for the test targets, e.g. PYTEST_ARGS="tests/jobs -x".
PYTEST_ARGS ?=
# Processes per suite (pytest-xdist; 0 runs the suite in one process). Each
# test file stays in one process (its module fixtures: servers, browsers),
# and much of the suite waits on the servers it starts, so two per suite
# keep two cores busy while both suites run. Files go out in the order
# tests/conftest.py gives them (those that start processes first), not
# xdist's most-tests-first, which left the few long files for the end.
TEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder)

.PHONY: run test test-suites bytecode lint typecheck test-sqlite test-postgres system-deps messages bench clean

# The pinned packages go in with uv (pinned in requirements-dev.txt): 25 s
# on a clean clone against pip's 61, and CI builds the environment on every
# run. pip installs them where uv cannot be had.
$(BIN)/hotwash: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "$$(grep '^uv==' requirements-dev.txt)" \
		&& VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install --quiet --compile-bytecode -r requirements-dev.txt \
		|| $(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null \
		|| $(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## Serve a full instance on http://$(HOST):$(PORT) with demo data: the web
## server and, on SQLite, the background worker beside it. The demo's sign-in
## message (printed every time) and the links in emails name that address,
## unless HOTWASH_SITE_URL says otherwise (a proxy in front).
run: export HOTWASH_SITE_URL ?= http://$(HOST):$(PORT)
run: $(BIN)/hotwash
	$(BIN)/hotwash migrate --no-input
	$(BIN)/hotwash demo --if-empty
	$(BIN)/hotwash serve --host $(HOST) --port $(PORT)

## Lint, then the whole suite on SQLite and on PostgreSQL, with the type
## check beside them. The two runs share nothing (throwaway databases, free
## ports, temporary folders) and spend much of their time waiting on servers,
## so they run side by side; mypy (half a minute) runs with them rather than
## before them (its output in $(TEST_LOGS)/typecheck.log, shown at the end).
test: lint system-deps $(NODE_MODULES)
	@$(MAKE) --no-print-directory test-suites BESIDE=typecheck

## Both suites side by side. Each one's full output goes to $(TEST_LOGS)/<suite>.log;
## the terminal shows pytest's progress lines as they come, prefixed with the
## suite's name, then each suite's summary and where the logs are. Fails when
## either suite fails. BESIDE names other targets to run alongside (their
## output logged, then shown after the summaries).
BESIDE ?=
test-suites: $(BIN)/hotwash $(NODE_MODULES) bytecode
	@mkdir -p $(TEST_LOGS)
	@echo "Running the suite on SQLite and on PostgreSQL side by side; full output in $(TEST_LOGS)/sqlite.log and $(TEST_LOGS)/postgres.log."
	@status=0; $(MAKE) --no-print-directory -j$(words sqlite postgres $(BESIDE)) -k \
		test-logged-sqlite test-logged-postgres $(addprefix beside-,$(BESIDE)) || status=$$?; \
	for suite in sqlite postgres; do \
		echo; awk '/^make/ {next} /short test summary info/ {p = 1} p {print} END {if (!p) print last} {last = $$0}' \
			$(TEST_LOGS)/$$suite.log | sed "s/^/$$suite: /"; \
	done; \
	for job in $(BESIDE); do echo; grep -v '^make' $(TEST_LOGS)/$$job.log | sed "s/^/$$job: /"; done; \
	echo; echo "Full logs: $(TEST_LOGS)/sqlite.log, $(TEST_LOGS)/postgres.log"; \
	exit $$status

# Another target beside the suites, its output to its log.
beside-%:
	@$(MAKE) --no-print-directory $* > $(TEST_LOGS)/$*.log 2>&1

# One suite: everything to its log, its progress lines (pytest's "[ 42%]") to
# the terminal. bash for pipefail: the suite's status, not the filter's.
test-logged-%: SHELL := /bin/bash
test-logged-%:
	@set -o pipefail; PYTHONUNBUFFERED=1 $(MAKE) --no-print-directory test-$* 2>&1 \
		| tee $(TEST_LOGS)/$*.log \
		| { grep --line-buffered -E '\[ *[0-9]+%\]$$' || true; } | sed -u 's/^/$*: /'

## The package's modules compiled once: the suites start hundreds of
## `hotwash` processes, and where PYTHONDONTWRITEBYTECODE is set (it is on
## the machines we test on) each of them would compile every module again
## (Python still reads bytecode it finds; it only stops writing it).
bytecode: $(BIN)/hotwash
	$(BIN)/python -m compileall -q src

lint: $(BIN)/hotwash
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(BIN)/hotwash
	$(BIN)/mypy

test-sqlite: $(BIN)/hotwash $(NODE_MODULES)
	DATABASE_URL=sqlite:///:memory: $(BIN)/pytest -p no:cacheprovider $(XDIST) $(PYTEST_ARGS)

test-postgres: $(BIN)/hotwash $(NODE_MODULES)
	DATABASE_URL=$(PG_URL) HOTWASH_TEST_DATABASE_NAME=test_hotwash_$$$$ $(BIN)/pytest -p no:cacheprovider $(XDIST) $(PYTEST_ARGS)

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
	rm -rf $(VENV) node_modules data $(TEST_LOGS) .pytest_cache .mypy_cache .ruff_cache
