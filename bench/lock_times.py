"""How long an order keeps its hot rows locked, measured inside bench_api's gunicorn.

An order's debit locks the reseller's wallet and the `sales` system wallet (one query,
`wallets.services.order_money`) and holds both until its transaction commits. `install()`
wraps that lock and the connection's commit: each order adds one sample, the seconds from
the lock being granted to the commit returning. Each worker writes its samples to
`<BENCH_LOCK_TIMES_DIR>/<pid>.txt` when it exits (`bench/gunicorn_hooks.py`).
"""

import os
import threading
import time
from pathlib import Path

_local = threading.local()
_samples: list[float] = []


def install() -> None:
    from django.db.backends.postgresql.base import DatabaseWrapper

    from wallets.services import order_money

    original_apply = order_money.transfer_apply
    original_commit, original_rollback = DatabaseWrapper._commit, DatabaseWrapper._rollback

    def timed_transfer_apply(*, lock_wallets, **kwargs):
        def timed_lock():
            wallets = lock_wallets()
            _local.locked_at = time.perf_counter()
            return wallets

        return original_apply(lock_wallets=timed_lock, **kwargs)

    def timed_commit(self):
        result = original_commit(self)
        locked_at = getattr(_local, "locked_at", None)
        if locked_at is not None:
            _samples.append(time.perf_counter() - locked_at)
            _local.locked_at = None
        return result

    def timed_rollback(self):
        _local.locked_at = None
        return original_rollback(self)

    order_money.transfer_apply = timed_transfer_apply
    DatabaseWrapper._commit = timed_commit
    DatabaseWrapper._rollback = timed_rollback


def dump() -> None:
    directory = os.environ.get("BENCH_LOCK_TIMES_DIR")
    if directory and _samples:
        Path(directory, f"{os.getpid()}.txt").write_text("\n".join(f"{s:.6f}" for s in _samples))


def read(directory: Path) -> list[float]:
    """Every worker's samples, in seconds."""
    return [float(line) for path in directory.glob("*.txt") for line in path.read_text().split()]
