# Routine commands. `make run` runs the shop on embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv comes from PATH, or is installed from PyPI into .tools/ the first time.
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: help install run test lint format bench

help:
	@echo "make run    - the whole shop on http://127.0.0.1:8000 (web, worker, beat; Ctrl-C stops all)"
	@echo "make test   - the whole suite against PostgreSQL and Redis on localhost (installs Chromium)"
	@echo "make lint   - ruff check and format check"
	@echo "make format - ruff fix and format"
	@echo "make bench  - benchmarks in bench/, printed as ratios"

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

install: $(UV)
	$(UV) sync --frozen

run: export DEBUG ?= true
run: install
	$(RUN) python manage.py migrate --noinput
	$(RUN) python manage.py ensure_demo_admin
	$(RUN) python manage.py load_demo
	$(RUN) honcho start -f Procfile.dev

# Installs a Debian package when its command is missing: from the current package lists
# first, and after refreshing them when that fails.
apt_ensure = command -v $(1) >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) \
	|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2))

# The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
test: install
	@$(call apt_ensure,chromium,chromium)
	$(RUN) python scripts/check_services.py
	$(RUN) pytest

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# bench_api drives gunicorn with wrk (Debian's package), installed here when missing.
bench: install
	@$(call apt_ensure,wrk,wrk)
	$(RUN) python bench/run.py
