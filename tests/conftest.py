import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from shop.local_cache import local_caches_clear

BASE_DIR = Path(settings.BASE_DIR)

# Shared fixtures: a priced product, buyers, and orders (tests/orders/fixtures.py).
# The messaging simulators on the live server: tests/shop/messaging_support.py.
pytest_plugins = [
    "tests.orders.fixtures",
    "tests.orders.bill_fixtures",
    "tests.shop.messaging_support",
    "tests.pgbouncer",  # `--pgbouncer`: the session through PgBouncer
]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language: a request through LocaleMiddleware leaves
    its language active in the thread, which would leak into the next test."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def wait_until(
    condition: Callable[[], bool], *, timeout: float = 30, interval: float = 0.2
) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter with exactly `env` (plus PATH and HOME)."""
    base_env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**base_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def stop_process(process: subprocess.Popen, *, timeout: float = 60) -> None:
    """SIGTERM `process`, SIGKILL it after `timeout` seconds, and reap it either way (a Popen
    dropped while its process lives is a ResourceWarning, an error in this suite)."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def celery_worker_env() -> dict[str, str]:
    """Extra environment for `celery_worker_process` (a test module overrides it, e.g. to
    point a channel at a simulator on its live server)."""
    return {}


@pytest.fixture
def celery_worker_process(
    transactional_db, tmp_path, celery_worker_env
) -> Iterator[subprocess.Popen]:
    """A real Celery worker in its own process, on Redis, using this test's database.

    Tasks sent with `send_task` (which ignores eager mode) run in it; the test sees their
    effects through the committed database, hence `transactional_db`. A test may kill it
    and start another with `start_celery_worker` (the fixture reaps the one it started).
    """
    from shop.celery import app

    app.control.purge()  # messages left by an earlier run must not reach this test's worker
    log_path = tmp_path / "worker.log"
    worker = start_celery_worker(log_path, celery_worker_env)
    yield worker
    stop_process(worker, timeout=20)
    print(log_path.read_text())  # shown by pytest when the test failed


@pytest.fixture(autouse=True)
def _local_caches_start_empty():
    """Rows a process keeps in memory (shop.local_cache: API keys, pricing rules) belong to
    one test: a test's rows go away with its rollback or flush, which sends no signal."""
    local_caches_clear()
    yield
    local_caches_clear()


@pytest.fixture
def sales_stripes(db, settings):
    """Every stripe of `sales` exists, as in a shop that has taken orders for a while (an
    order's first use of a stripe creates its row: a few more queries, once)."""
    from wallets.models import SystemAccount
    from wallets.services import system_wallet

    return [
        system_wallet(SystemAccount.SALES, stripe=stripe)
        for stripe in range(settings.LEDGER_SALES_STRIPES)
    ]


@pytest.fixture
def rows_committed():
    """The rows made so far count as committed for the process caches (shop.local_cache):
    in a test's own transaction they would otherwise never be cached."""

    def settle() -> None:
        connection.local_caches_changed = set()

    return settle


def start_celery_worker(log_path: Path, extra_env: dict[str, str] | None = None):
    """Start a solo-pool worker on this test's database (its output appended to
    `log_path`) and wait until it answers a ping."""
    from shop.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": _database_url_of_this_test(),
        **(extra_env or {}),
    }
    worker_command = [
        *(sys.executable, "-m", "celery", "-A", "shop", "worker", "--pool", "solo"),
        *("--loglevel", "INFO", "--without-gossip", "--without-mingle"),
        *("--hostname", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"),
    ]
    with log_path.open("a") as log:
        worker = subprocess.Popen(
            worker_command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    ready = wait_until(lambda: bool(app.control.ping(timeout=0.5)), timeout=60)
    if not ready:
        stop_process(worker, timeout=5)
    assert ready, "the Celery worker did not start:\n" + log_path.read_text()
    return worker


def _database_url_of_this_test() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def account_checks(settings) -> Iterator[None]:
    """Account checks on (the test settings turn them off), with no answer cached and no
    account-check rate-limit bucket left by an earlier test or run."""
    from shop.ratelimit import redis_client

    settings.ACCOUNT_CHECKS_ENABLED = True
    client = redis_client(settings.REDIS_URL)  # the cache's Redis too (CACHES)

    def forget() -> None:
        for pattern in ("*account-check:v1:*", "ratelimit:account-check:*"):
            for key in client.scan_iter(pattern):
                client.delete(key)

    forget()
    yield
    forget()
