import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)

# Shared fixtures: a priced product, buyers, and orders (tests/orders/fixtures.py); and
# `--pgbouncer`, the session through PgBouncer (tests/pgbouncer.py).
pytest_plugins = ["tests.orders.fixtures", "tests.pgbouncer"]


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
def celery_worker_process(transactional_db, tmp_path) -> Iterator[subprocess.Popen]:
    """A real Celery worker in its own process, on Redis, using this test's database.

    Tasks sent with `send_task` (which ignores eager mode) run in it; the test sees their
    effects through the committed database, hence `transactional_db`.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": _database_url_of_this_test(),
    }
    from shop.celery import app

    app.control.purge()  # messages left by an earlier run must not reach this test's worker
    log_path = tmp_path / "worker.log"
    worker_command = [
        *(sys.executable, "-m", "celery", "-A", "shop", "worker", "--pool", "solo"),
        *("--loglevel", "INFO", "--without-gossip", "--without-mingle"),
        *("--hostname", f"test-{os.getpid()}@%h"),
    ]
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            worker_command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    ready = wait_until(lambda: bool(app.control.ping(timeout=0.5)), timeout=60)
    assert ready, "the Celery worker did not start:\n" + log_path.read_text()
    yield worker
    stop_process(worker, timeout=20)
    print(log_path.read_text())  # shown by pytest when the test failed


def _database_url_of_this_test() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
