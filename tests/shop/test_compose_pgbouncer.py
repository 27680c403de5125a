"""docker-compose.yml puts web, worker and beat behind PgBouncer in transaction pooling mode,
with the settings that needs (docs/deployment.md#pgbouncer). The PgBouncer itself is tested
for real by `pytest --pgbouncer` (tests/pgbouncer.py)."""

import configparser
import os
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def test_the_app_services_connect_through_pgbouncer_with_its_settings():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert "@pgbouncer:6432/" in environment["DATABASE_URL"]
        assert environment["DATABASE_PGBOUNCER"] == "true"
        assert int(environment["DATABASE_CONN_MAX_AGE"]) > 0
        assert services[name]["depends_on"]["pgbouncer"] == {"condition": "service_healthy"}
    assert services["pgbouncer"]["build"] == "deploy/pgbouncer"
    assert services["pgbouncer"]["depends_on"]["db"] == {"condition": "service_healthy"}


def test_pgbouncer_pools_transactions_in_front_of_the_db_service():
    config = configparser.ConfigParser(inline_comment_prefixes=(";",))
    config.read(BASE_DIR / "deploy/pgbouncer/pgbouncer.ini")
    assert config["pgbouncer"]["pool_mode"] == "transaction"
    assert config["pgbouncer"]["listen_port"] == "6432"
    assert config["databases"]["shop"] == "host=db port=5432 dbname=shop"


@pytest.mark.django_db
def test_with_the_pgbouncer_option_the_session_connects_through_it(request):
    if not request.config.getoption("--pgbouncer"):
        pytest.skip("runs with --pgbouncer (make test's PgBouncer subset)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")
        (server_port,) = cursor.fetchone()
    through = int(connection.settings_dict["PORT"])
    assert connection.connection.info.port == through  # we talk to PgBouncer...
    assert server_port != through  # ...and PostgreSQL listens elsewhere
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert os.environ["DATABASE_PGBOUNCER"] == "true"  # for worker processes
