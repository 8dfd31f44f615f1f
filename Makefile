# Durvis: `make run` starts the platform, `make test` runs the tests (see README).
SHELL := /bin/bash
PORT ?= 8000
PY := .venv/bin/python
UV_VERSION := 0.13.9

.PHONY: run test bench profile lint install messages browser xmlsec clean

.venv/.installed: pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	python3 -m uv sync --frozen --quiet
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The stylesheet: GOV.UK Frontend's Sass with Durvis's name, colours and system fonts, compiled by
# Dart Sass from npm into build/ (served as static files, never committed).
CSS := build/static/css/durvis.css
$(CSS): src/durvis/assets/durvis.scss node_modules/.installed
	@mkdir -p $(@D)
	node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps --load-path=node_modules $< $@

install: .venv/.installed node_modules/.installed $(CSS)

# The end-to-end tests drive Debian's Chromium (never a browser downloaded by a tool).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# pysaml2 signs and verifies SAML messages with Debian's xmlsec1.
xmlsec:
	@command -v xmlsec1 >/dev/null || (apt-get update -qq && apt-get install -y -qq xmlsec1)

# The compiled catalogues (.mo) are rebuilt only when a .po is newer, so that runs of `make test`
# started at once (CI's SQLite and PostgreSQL runs) never rewrite a catalogue another is reading.
MO := $(patsubst %.po,%.mo,$(wildcard src/durvis/locale/*/LC_MESSAGES/*.po))
messages: install $(MO)

$(MO) &: $(MO:.mo=.po) .venv/.installed
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
	@touch $(MO)

run: messages
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_demo
	PORT=$(PORT) $(PY) manage.py run_platform

# `make test` runs on SQLite, or on the database that DATABASE_URL names;
# `make test DB=postgres` starts a throwaway PostgreSQL cluster when DATABASE_URL is unset.
test: messages browser xmlsec
ifeq ($(DB),postgres)
	$(if $(DATABASE_URL),$(PY) -m pytest $(PYTEST_ARGS),$(PY) tools/pgcluster.py -- $(PY) -m pytest $(PYTEST_ARGS))
else
	$(PY) -m pytest $(PYTEST_ARGS)
endif

bench: messages
	$(if $(DATABASE_URL),$(PY) bench/run.py,$(PY) tools/pgcluster.py -- $(PY) bench/run.py)

# Where the integration API's requests spend their CPU (bench/profiling.py): sorted cProfile
# texts and py-spy flame graphs in var/profile/, on a durable PostgreSQL of its own unless
# DATABASE_URL names a durable one.
profile: messages
	$(PY) bench/profiling.py

# ruff, mypy, the layering contracts of pyproject.toml ([tool.importlinter]), the committed OpenAPI
# schema against the served one (breaking changes named), and its lint by Redocly's CLI (npm).
lint: messages
	$(PY) -m ruff check src tests bench tools conftest.py
	$(PY) -m mypy src
	.venv/bin/lint-imports --no-cache
	$(PY) tools/openapi_contract.py --check
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint \
	  --config redocly.yaml --format=summary docs/openapi.json

clean:
	rm -rf var build .venv node_modules
