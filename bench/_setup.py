"""What every benchmark shares: Django on a scratch PostgreSQL database of its own.

The server comes from BENCH_DATABASE_URL (default: the local one `make test` uses). Each
benchmark gets a fresh, migrated database, dropped when the process exits, so benchmarks
never touch the shop's or the tests' data.
"""

import atexit
import os
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def setup_django_with_scratch_database(name: str) -> None:
    """Point Django at a fresh, migrated database `name` (dropped at exit).

    Uses `shop.settings.test` (DEBUG off, so no query log grows) unless
    DJANGO_SETTINGS_MODULE says otherwise. Called again in the same process (bench/run.py
    runs every benchmark in one), it switches the default connection to the new database.
    """
    import django
    from django.apps import apps

    server = server_url()
    _recreate_database(server, name)
    scratch_url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    if apps.ready:
        from django.db import connections

        connections.close_all()
        connections["default"].settings_dict["NAME"] = name
    else:
        os.environ["DATABASE_URL"] = scratch_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.test")
        django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    atexit.register(_drop_database, server, name)


def server_url() -> str:
    """The PostgreSQL server benchmarks make their databases on (its maintenance database)."""
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER_URL)


def _recreate_database(server_url: str, name: str) -> None:
    _drop_database(server_url, name)
    _execute(server_url, "CREATE DATABASE {}", name)


def _drop_database(server_url: str, name: str) -> None:
    from django.apps import apps

    if apps.ready:
        from django.db import connections

        connections.close_all()
    _execute(server_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def _execute(server_url: str, statement: str, name: str) -> None:
    """Run one statement about database `name` on the server's maintenance database."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))
