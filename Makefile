# Two commands: `make run` (the site on SQLite with the seed catalogue) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install seed run test fuzz lint bench loadtest messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

seed: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py loaddata fixtures/vocabularies.json
	$(PY) manage.py import_cases fixtures/cases/*.json

# Links in emails point at the address served here unless DJANGO_SITE_URL says otherwise.
run: seed
	DJANGO_SITE_URL="$${DJANGO_SITE_URL:-http://$(HOST):$(PORT)}" $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@command -v xgettext >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	$(PY) -m pytest

# The generated-input tests with 500 examples each (make test runs about 75), and every hostile
# value against every admin list parameter.
fuzz: install
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest tests/test_fuzz.py \
		tests/test_admin_hardening.py::test_hostile_list_parameters_never_give_a_server_error

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The Welsh message catalogue: every marked string of the templates and the code gathered into
# locale/cy/LC_MESSAGES/django.po (translate the new entries there, with docs/glossary-cy.md),
# then compiled to django.mo, which is committed so that running the site needs no gettext.
messages: install
	@command -v xgettext >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	$(PY) manage.py makemessages --locale cy --no-location --no-obsolete --extension html,txt,py \
		--ignore '.venv/*' --ignore 'bench/*' --ignore 'tests/*' --ignore 'staticfiles/*' --ignore 'var/*' \
		--ignore 'locale/*'
	$(PY) manage.py compilemessages --locale cy --ignore '.venv/*'
	$(PY) locale/countries/generate.py

# Load benchmark (loopback only, bounded): warm (wrk) then cold (distinct URLs); see bench/run.py.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--mode cold --databases sqlite --sizes 1000,100000".
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/run.py $(BENCH_ARGS)

# Load and fault test (loopback only, bounded; LOADTEST_SECONDS, default 60): see bench/loadtest.py.
loadtest: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/loadtest.py
