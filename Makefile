# Homeroom: `make run` starts the app with demo data; `make test` runs every test.
# The newest of Python 3.13, 3.12 and 3.11 that runs here; `make PYTHON=python3.12 …` chooses.
# (Each is tried, not just looked up: a pyenv shim for a version not selected fails.)
ifndef PYTHON
PYTHON := $(shell for v in 3.13 3.12 3.11; do if python$$v -c "" >/dev/null 2>&1; then echo python$$v; break; fi; done)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format lock demo clean bench load

$(STAMP): requirements-dev.lock
	@[ -n "$(PYTHON)" ] && command -v $(PYTHON) >/dev/null || { echo "Homeroom needs Python 3.11, 3.12 or 3.13 (python3.11, python3.12 or python3.13) on the PATH."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $(STAMP)

# Web, Celery worker and Celery beat on the embedded defaults (SQLite, SQLite broker,
# email printed to the console). Ctrl-C stops all three.
# Links in emails and calendar feeds point where the web server listens (one source: SITE_URL).
run: export SITE_URL ?= http://$(or $(HOMEROOM_HOST),127.0.0.1):$(or $(HOMEROOM_PORT),8000)
run: $(STAMP)
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo --if-empty
	@echo ""
	@echo "  Homeroom is starting at $$SITE_URL/"
	@echo "  Demo accounts (password: homeroom-demo):"
	@echo "    organizer@example.com    (organizer, site staff: /admin/)"
	@echo "    facilitator@example.com  (facilitator)"
	@echo "    participant01@example.com … participant16@example.com"
	@echo "  Emails (sign-in codes, invitations) are printed below. Ctrl-C stops everything."
	@echo ""
	DEBUG=$${DEBUG:-1} PYTHONUNBUFFERED=1 PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev

# The whole suite. Set DATABASE_URL / REDIS_URL to run it against PostgreSQL and Redis.
test: $(STAMP)
	SECRET_KEY=$${SECRET_KEY:-test-secret-key} $(BIN)/ruff check .
	SECRET_KEY=$${SECRET_KEY:-test-secret-key} $(BIN)/ruff format --check .
	SECRET_KEY=$${SECRET_KEY:-test-secret-key} $(BIN)/mypy
	SECRET_KEY=$${SECRET_KEY:-test-secret-key} $(BIN)/python -m pytest $(ARGS)

# Figures, not tests: the hot pages on 200 participants × 12 weeks (throwaway data in a
# temporary database), on SQLite and, when DATABASE_URL is set, on that database too.
bench: $(STAMP)
	SECRET_KEY=$${SECRET_KEY:-bench-secret-key} $(BIN)/python manage.py perf_report --database-url sqlite:///$(CURDIR)/var/bench.sqlite3 $(ARGS)
	@if [ -n "$$DATABASE_URL" ]; then \
		SECRET_KEY=$${SECRET_KEY:-bench-secret-key} $(BIN)/python manage.py perf_report --database-url "$$DATABASE_URL" $(ARGS); \
	fi

# Mark watched under load: gunicorn on 127.0.0.1 driven by wrk (apt-get install -y wrk).
load: $(STAMP)
	SECRET_KEY=$${SECRET_KEY:-bench-secret-key} $(BIN)/python manage.py load_mark_watched $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	SECRET_KEY=$${SECRET_KEY:-test-secret-key} $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

demo: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py seed_demo

# Regenerate the lock files after changing pyproject.toml dependencies. One lock for every
# supported Python (uv's universal resolution from 3.11 up, markers where they differ), with
# the hashes of every file of each pinned version, so each Python finds its wheels.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python -m uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -o requirements.lock
	$(BIN)/python -m uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes -o requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
