"""Stop `make test` early, in one clear line, when PostgreSQL or Redis does not answer."""

import os
import shutil
import sys

import psycopg
import redis

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}


def main() -> int:
    failures = []
    try:
        # The test database is created by the tests; the server's own database must answer.
        with psycopg.connect(DATABASE_URL, dbname="postgres", connect_timeout=3):
            pass
    except psycopg.Error:
        failures.append(("PostgreSQL", DATABASE_URL))
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError:
        failures.append(("Redis", REDIS_URL))
    if not shutil.which("chromium"):
        print(
            "Chromium is missing for the browser tests: install it with "
            "`apt-get update && apt-get install -y chromium`.",
            file=sys.stderr,
        )
        return 1
    for name, url in failures:
        print(
            f"{name} is not answering at {url}: start it with `{HOW_TO_START[name]}` "
            "or `docker compose up -d db redis`.",
            file=sys.stderr,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
