# Two commands: `make run` serves the demo at http://127.0.0.1:5000, `make test` runs everything.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
PYBABEL := $(VENV)/bin/pybabel
STAMP := $(VENV)/.installed-stamp
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
# One pytest worker per core (pytest-xdist): a test spends much of its time waiting on the
# database or the browser. Each worker has its own database, live servers and Chromium.
PYTEST_WORKERS ?= -n auto --dist worksteal
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

.PHONY: setup run test lint test-sqlite test-postgres services chromium bench translations-update clean

setup: $(STAMP) node_modules/.package-lock.json $(MO_FILES) assets

# $(call install,EXTRAS): the project and those extras, with uv — the same packages as pip
# (checked), in a tenth of the time: 10 s against 78 s on a fresh machine here, most of
# CI's set-up — or with pip if uv cannot.
install = ($(PY) -m pip install --quiet --disable-pip-version-check uv && \
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[$(1)]') || \
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[$(1)]'
TEST_EXTRAS := build,test
BENCH_EXTRAS := build,test,bench

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(call install,$(TEST_EXTRAS))
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(PYBABEL) compile --statistics -d translations -l $*

.PHONY: assets
assets: $(STAMP) node_modules/.package-lock.json $(MO_FILES)
	$(FLASK) assets

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo
	CARNET_DEMO=1 $(FLASK) run --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(VENV)/bin/ruff check app tests benchmarks

# The whole suite once on PostgreSQL (the production database), in a database of its own that
# it creates on that server and drops at the end; then, on SQLite (the database of `make run`),
# only the tests marked db_engine: those whose result can differ between the two engines. Both
# passes run even when the first fails; the run fails if either does.
test: setup lint services chromium
	@status=0; \
	echo "=== PostgreSQL: every test ==="; \
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(VENV)/bin/pytest -p no:cacheprovider $(PYTEST_WORKERS) || status=1; \
	echo "=== SQLite: the tests marked db_engine ==="; \
	$(VENV)/bin/pytest -p no:cacheprovider $(PYTEST_WORKERS) -m db_engine || status=1; \
	exit $$status

test-postgres: setup services chromium
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(VENV)/bin/pytest

test-sqlite: setup
	$(VENV)/bin/pytest -m db_engine

# PostgreSQL and Redis run on the machine; start them when they are not answering.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; pg_isready -h 127.0.0.1 -p 5432
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no

# Browser tests use Debian's Chromium (Playwright cannot download browsers here).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# For benchmarks/ (cluster, load, failure drill): Debian's nginx and locust. Not for `make test`.
bench: setup services
	@command -v nginx >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null)
	$(call install,$(BENCH_EXTRAS))

# After changing user-visible strings: extract them, then translate the new entries.
translations-update: $(STAMP)
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --omit-header .
	$(PYBABEL) update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules instance static/vendor static/icons/*.png translations/*/LC_MESSAGES/*.mo
	find static \( -name '*.gz' -o -name '*.br' \) -delete
