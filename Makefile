# Two commands: `make run` (the site on SQLite with the seed catalogue) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: install seed run test fuzz lint bench loadtest

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
	$(PY) -m pytest

# The generated-input tests with 500 examples each (make test runs about 75), and every hostile
# value against every admin list parameter.
fuzz: install
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest tests/test_fuzz.py \
		tests/test_admin_hardening.py::test_hostile_list_parameters_never_give_a_server_error

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Load benchmark (loopback only, bounded): warm (wrk) then cold (distinct URLs); see bench/run.py.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--mode cold --databases sqlite --sizes 1000,100000".
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/run.py $(BENCH_ARGS)

# Load and fault test (loopback only, bounded; LOADTEST_SECONDS, default 60): see bench/loadtest.py.
loadtest: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(PY) bench/loadtest.py
