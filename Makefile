# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO_FIXTURES := taxonomy resources guides demo_providers
HOST ?= 127.0.0.1:8000
# Settings for the test run: DEBUG off (the production code paths), plain HTTP on this machine.
TEST_ENV := DEBUG=0 SECURE_HTTPS=0 SECRET_KEY=test-only-secret-key-not-for-production-0123456789

.PHONY: run test venv migrate demo-data lint browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	DEBUG=1 $(BIN)/python manage.py migrate --noinput

demo-data: migrate
	DEBUG=1 $(BIN)/python manage.py loaddata $(DEMO_FIXTURES)

## Run the demo: virtualenv, install, migrate, load the demo data, serve on http://$(HOST)
run: demo-data
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST)

## Chromium for the real-browser tests (Debian's package; Playwright never downloads one)
browser:
	@command -v chromium >/dev/null 2>&1 || scripts/install-chromium

## Run the whole test suite (unit, integration and real-browser tests) with lint and checks
test: venv browser
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/python manage.py check
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/pytest $(ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
