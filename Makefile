# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO_FIXTURES := taxonomy resources guides demo_providers
HOST ?= 127.0.0.1:8000
# Settings for the test run: DEBUG off (the production code paths), plain HTTP on this machine.
TEST_ENV := DEBUG=0 SECURE_HTTPS=0 SECRET_KEY=test-only-secret-key-not-for-production-0123456789

.PHONY: run test venv migrate demo-data lint browser redis bench bench-data bench-compare bench-text loadtest clean

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

## redis-server for the cache outage tests (Debian's package; the tests run their own server on a free port)
redis:
	@command -v redis-server >/dev/null 2>&1 || scripts/install-redis

## Run the whole test suite (unit, integration and real-browser tests) with lint and checks
test: venv browser redis
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/python manage.py check
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/pytest $(ARGS)

## A PostgreSQL database of SIZE generated providers (default 100,000) for bench and loadtest (built once, kept)
SIZE ?= 100000
COMPARE_SIZES ?= 100000 1000000
bench_db = $(if $(filter 100000,$(1)),directory_bench,directory_bench_$(1))
bench_url = postgres://postgres@127.0.0.1:5432/$(call bench_db,$(1))
BENCH_DB := $(call bench_db,$(SIZE))
BENCH_URL := $(call bench_url,$(SIZE))
BENCH_ENV := $(TEST_ENV) DATABASE_URL=$(BENCH_URL)
bench-data: venv
	@createdb -h 127.0.0.1 -U postgres $(BENCH_DB) 2>/dev/null || true
	$(BENCH_ENV) $(BIN)/python manage.py migrate --noinput --verbosity 0
	@if [ "$$(psql -h 127.0.0.1 -U postgres -d $(BENCH_DB) -Atc 'SELECT count(*) FROM directory_provider')" = "0" ]; then \
		$(BENCH_ENV) $(BIN)/python manage.py loaddata taxonomy resources guides && \
		$(BENCH_ENV) $(BIN)/python manage.py generate_providers --count $(SIZE) --seed 1 && \
		psql -h 127.0.0.1 -U postgres -d $(BENCH_DB) -qc 'VACUUM ANALYZE'; \
	fi
	@if [ "$$(psql -h 127.0.0.1 -U postgres -d $(BENCH_DB) -Atc "SELECT count(*) FROM directory_textindexentry WHERE lexeme = ''")" = "0" ]; then \
		$(BENCH_ENV) $(BIN)/python manage.py rebuild_text_index; \
	fi

## Time search, profile and fit-finder requests on SIZE providers (PostgreSQL); table in bench-results[-SIZE].txt
bench: bench-data
	$(BENCH_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BENCH_ENV) $(BIN)/python manage.py bench --runs 20 \
		--output bench-results$(if $(filter 100000,$(SIZE)),,-$(SIZE)).txt

## The bench at each of COMPARE_SIZES (default 100,000 and 1,000,000) in one run, side by side; bench-compare.txt
bench-compare: venv
	@for size in $(COMPARE_SIZES); do $(MAKE) --no-print-directory bench-data SIZE=$$size || exit 1; done
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/python manage.py bench --runs 20 --output bench-compare.txt \
		$(foreach size,$(COMPARE_SIZES),--compare $(call bench_url,$(size)))

## Free-text engines side by side on the bench database (GIN, RUM, Tantivy, the text index); bench-text-results.txt
bench-text: bench-data
	scripts/install-rum
	$(BENCH_ENV) $(BIN)/python manage.py bench_text --rum --tantivy --output bench-text-results.txt

## Load test: gunicorn with 2 workers on 127.0.0.1, 50 locust users for 60 s; requests/s and errors
loadtest: bench-data
	DATABASE_URL=$(BENCH_URL) scripts/loadtest

lint: venv
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
