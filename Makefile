# `make run` serves the site with demo content; `make test` runs the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint clean backup restore loadtest bench

run: $(VENV)/.runtime
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py load_demo
	$(PY) scripts/serve.py

test: $(VENV)/.dev node_modules/.installed
	$(PY) scripts/run_tests.py $(ARGS)

# Database and media into backups/<time>/ (or BACKUP_DIR); settings from the environment.
backup: $(VENV)/.runtime
	$(PY) scripts/backup.py backup

# make restore FROM=backups/<time> [ARGS=--force]: into a fresh database and media folders.
restore: $(VENV)/.runtime
	$(PY) scripts/backup.py restore $(FROM) $(ARGS)

# 200 visitors for 2 minutes against gunicorn on PostgreSQL + Redis, loopback only (scripts/loadtest.py).
# Shorter, to try it: make loadtest ARGS="--users 50 --duration 20".
loadtest: $(VENV)/.load
	$(PY) scripts/loadtest.py $(ARGS)

$(VENV)/.load: requirements-load.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-load.txt
	touch $@

# Seeds a separate database with 10,000 articles, serves it with gunicorn and measures each page (docs/performance.md).
# SQLite by default; PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set. make bench ARGS="--duration 5"
bench: $(VENV)/.runtime
	$(PY) scripts/bench.py $(ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

$(VENV)/bin/python:
	@python=$$(sh scripts/find-python) || exit 1; \
	echo "Using $$python ($$($$python --version))"; \
	$$python -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) node_modules staticfiles
