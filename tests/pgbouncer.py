"""`pytest --pgbouncer`: every database connection of the session goes through a real
PgBouncer in transaction pooling mode, as in the `docker-compose.yml` deployment.

The test database is created (and dropped) directly; between the two a PgBouncer started
here (`/usr/sbin/pgbouncer`, Debian's package, which `make test` installs) stands in front
of it, and the default connection, worker processes started by tests (`DATABASE_URL`,
`DATABASE_PGBOUNCER`) and threads all connect to it with the settings the deployment uses
behind it (`DATABASE_PGBOUNCER`: no server-side cursors, no client pool). `make test` runs
the ledger and pipeline subset this way (`PGBOUNCER_SUBSET` in the Makefile).
"""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PGBOUNCER = "/usr/sbin/pgbouncer"


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--pgbouncer",
        action="store_true",
        help="connect through a PgBouncer (transaction pooling) started for the session",
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request) -> Iterator[None]:
    """pytest-django's test database, then (with --pgbouncer) PgBouncer in front of it."""
    if not request.config.getoption("--pgbouncer"):
        yield
        return
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    with django_db_blocker.unblock(), _pgbouncer(settings_dict) as port:
        saved = {key: settings_dict.get(key) for key in ("HOST", "PORT")}
        saved_cursors = settings_dict.get("DISABLE_SERVER_SIDE_CURSORS", False)
        saved_env = os.environ.get("DATABASE_PGBOUNCER")
        connections.close_all()
        settings_dict.update(HOST="127.0.0.1", PORT=str(port), DISABLE_SERVER_SIDE_CURSORS=True)
        os.environ["DATABASE_PGBOUNCER"] = "true"
        try:
            yield
        finally:
            connections.close_all()
            settings_dict.update(saved, DISABLE_SERVER_SIDE_CURSORS=saved_cursors)
            if saved_env is None:
                os.environ.pop("DATABASE_PGBOUNCER", None)
            else:
                os.environ["DATABASE_PGBOUNCER"] = saved_env


class _pgbouncer:
    """PgBouncer on a free local port in front of the server in `settings_dict`."""

    def __init__(self, settings_dict: dict):
        self.settings_dict = settings_dict
        self.folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> int:
        if not Path(PGBOUNCER).exists():
            pytest.exit(f"--pgbouncer needs {PGBOUNCER}: apt-get install -y pgbouncer", 2)
        port = _free_port()
        db = self.settings_dict
        config = self.folder / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} "
            f"user={db['USER']}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            # The server behind trusts local connections, as in `make test`.
            "auth_type = any\n"
            "pool_mode = transaction\n"
            "max_client_conn = 500\ndefault_pool_size = 40\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.folder / 'pgbouncer.log'}\n"
        )
        self.folder.chmod(0o777)  # PgBouncer drops root for an unprivileged user
        command = [PGBOUNCER, *(["-u", "nobody"] if os.geteuid() == 0 else []), str(config)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        if not _answers(port, self.process):
            self.__exit__(None, None, None)
            pytest.exit("PgBouncer did not start:\n" + self._log(), 2)
        return port

    def __exit__(self, *exc_info) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _log(self) -> str:
        log = self.folder / "pgbouncer.log"
        return log.read_text() if log.exists() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int, process: subprocess.Popen) -> bool:
    import time

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False
