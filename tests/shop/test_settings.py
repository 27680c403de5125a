import secrets

import pytest
from django.conf import settings

from tests.conftest import run_manage

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "shop.settings.base",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "shop.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def test_production_values_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_missing_secret_key_with_debug_off_fails_in_one_clear_line():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}

    result = run_manage("check", env=env)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Configuration error: SECRET_KEY must be set when DEBUG is off "
        "(export SECRET_KEY=..., or DEBUG=true for local development)."
    ]


@pytest.mark.parametrize(
    ("value", "simulators"), [("paypal", "true"), ("sandbox", "false")], ids=["unknown", "sandbox"]
)
def test_a_payment_gateway_that_cannot_serve_stops_in_one_line(value, simulators):
    env = {**PRODUCTION_ENV, "PAYMENT_GATEWAY": value, "SIMULATORS_ENABLED": simulators}

    result = run_manage("check", env=env)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Configuration error: PAYMENT_GATEWAY='{value}': use tripay, or sandbox with "
        "SIMULATORS_ENABLED on."
    ]


def test_embedded_defaults_need_no_server(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "shop.settings.base", "DEBUG": "true"}
    env["SHOP_VAR_DIR"] = str(tmp_path)

    result = run_manage("shell", "-c", _PRINT_BACKENDS, env=env)

    assert result.returncode == 0, result.stderr
    engine, journal, broker = result.stdout.splitlines()[-1].split()
    assert engine == "django.db.backends.sqlite3"
    assert journal == "wal"
    assert broker == "filesystem://"


_PRINT_BACKENDS = """
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
print(settings.DATABASES["default"]["ENGINE"], journal, settings.CELERY_BROKER_URL)
"""


def test_tests_run_on_postgresql_and_redis():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
