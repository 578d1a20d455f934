# kapcare — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
# The newest Python the dependencies support (pyproject's requires-python) that actually runs
# (a pyenv shim can exist for a version that is not active), else python3.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11; do \
  $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' >/dev/null 2>&1 \
  && { command -v $$p; exit; }; done; command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-fast lint format chromium demo bench bench-quick load clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock 2>&1 | grep -v "is ignored" || true
	@rm -f $(VENV)/.installed-*
	@touch $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Development settings for this checkout (manage.py reads .env); production sets the real environment.
.env:
	@printf 'DEBUG=1\nSECRET_KEY=dev-%s\nKAPCARE_NOTE_KEY=dev-%s\n' \
	  "$$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
	  "$$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > .env
	@echo "Wrote .env with development settings (DEBUG=1)."

run: install .env
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo "Serving kapcare at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@# The background-task worker (reminders, risk-alert escalation) runs beside the server.
	@$(PY) manage.py db_worker --no-reload --interval 5 -v 0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

demo: install .env
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo

test: install chromium
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# The benchmark and load test need PostgreSQL on 127.0.0.1:5432 (BENCH_PG_URL to change it);
# they create their own databases (kapcare_bench_<size>) and serve them with gunicorn on loopback.
bench: install
	@mkdir -p var bench/results
	$(PY) bench/run.py $(if $(BENCH_SIZES),--sizes $(BENCH_SIZES))

bench-quick: install
	@mkdir -p var bench/results
	$(PY) bench/run.py --sizes 1000

load: install
	@mkdir -p var
	$(PY) bench/load.py

lint: install
	$(PY) -m ruff check kapcare tests bench
	$(PY) -m ruff format --check kapcare tests bench
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

format: install
	$(PY) -m ruff check --fix kapcare tests bench
	$(PY) -m ruff format kapcare tests bench

clean:
	rm -rf $(VENV) var/*.sqlite3
