# Routine commands. `make run` runs the shop on embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv comes from PATH, or is installed from PyPI into .tools/ the first time.
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: help install run test lint format bench messages docs

help:
	@echo "make run    - the whole shop on http://127.0.0.1:8000 (web, worker, beat; Ctrl-C stops all)"
	@echo "make test   - the whole suite against PostgreSQL and Redis on localhost (installs Chromium)"
	@echo "make lint   - ruff check, format check and the import contracts (lint-imports)"
	@echo "make format - ruff fix and format"
	@echo "make bench  - benchmarks in bench/, printed as ratios"
	@echo "make messages - collect the strings to translate into locale/id and compile the .mo"
	@echo "make docs   - build the documentation site (docs/) into site/; a broken link fails it"

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

# The ledger and pipeline tests that run a second time through PgBouncer in transaction
# pooling mode (tests/pgbouncer.py), as docker-compose.yml deploys the shop.
PGBOUNCER_SUBSET := tests/shop/test_compose_pgbouncer.py tests/wallets/test_services.py \
	tests/pipeline/test_money_at_the_clock.py \
	tests/pipeline/test_idempotency.py tests/pipeline/test_poll_at_volume.py \
	tests/catalog/test_sync.py::test_two_concurrent_syncs_leave_a_consistent_catalog

# The browser tests drive Debian's Chromium (Playwright cannot download browsers here);
# the PgBouncer run uses Debian's pgbouncer.
test: install
	@$(call apt_ensure,chromium,chromium)
	@$(call apt_ensure,/usr/sbin/pgbouncer,pgbouncer)
	$(RUN) python scripts/check_services.py
	$(RUN) pytest
	$(RUN) pytest --pgbouncer $(PGBOUNCER_SUBSET)

# lint-imports checks the apps' layers (pyproject.toml [tool.importlinter], docs/architecture.md).
lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports

format: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# After changing strings: fill in the new and fuzzy entries of the .po, then run it again.
# The compiled .mo is committed (make run and the image need no gettext); a test checks it.
messages: export DEBUG ?= true
messages: install
	$(RUN) python manage.py makemessages -l id --no-obsolete --ignore=.venv --ignore=.tools --ignore=var --ignore=tests
	$(RUN) python manage.py compilemessages -l id --ignore=.venv --ignore=.tools

# bench_api drives gunicorn with wrk (Debian's package), installed here when missing, and
# measures the API layout docker-compose.yml ships behind Debian's nginx (skipped, saying
# so, when nginx cannot be installed).
bench: install
	@$(call apt_ensure,wrk,wrk)
	@$(call apt_ensure,/usr/sbin/nginx,nginx) \
		|| echo "nginx could not be installed: bench_api skips the nginx + sync workers layout"
	$(RUN) python bench/run.py

# The reference in docs/ as a static site (MkDocs, Material theme) in site/ (gitignored).
# --strict: a broken link, a missing anchor or a page left out of the nav fails the build.
# Offline: no plugin fetches anything; the theme's fonts are the system's.
docs: $(UV)
	NO_MKDOCS_2_WARNING=1 $(RUN) --group docs mkdocs build --strict --clean --site-dir site
