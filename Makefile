# PSA Portal: the menu. `make demo` runs the dashboard, `make test` runs every test.
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SANDBOX_PORT ?= 8765
SERVE_BIND ?= 127.0.0.1:8000
BENCH ?=

.PHONY: install demo run serve sandbox worker test browser-deps lint format bench check-deploy clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The dashboard on the embedded defaults (SQLite, tasks in-process) beside the Membrane sandbox.
demo: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo_users
	@echo "Dashboard: http://127.0.0.1:8000   Membrane sandbox: http://127.0.0.1:$(SANDBOX_PORT)"
	@$(PY) manage.py sandbox --port $(SANDBOX_PORT) & sandbox=$$!; \
	  trap 'kill $$sandbox 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000

# The production-like run: gunicorn, two Celery workers and beat on DATABASE_URL and
# REDIS_URL (README, "Deployment").
serve: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v0
	$(PY) manage.py serve --bind $(SERVE_BIND)

sandbox: install
	$(PY) manage.py sandbox --port $(SANDBOX_PORT)

# A Celery worker for REDIS_URL set (production-like runs).
worker: install
	$(VENV)/bin/celery -A psaportal worker --loglevel=INFO --concurrency=2

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: install browser-deps
	CELERY_QUEUE=psaportal-test-$$$$ $(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) tests/bench/run.py $(BENCH)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
