"""Read-mostly rows kept in each process's memory, dropped everywhere within a second of a
change: API keys on every reseller call, pricing rules on every order.

A `VersionedLocalCache` keeps values in a dict of its process and a version token in the
shared cache (Redis in production; the file cache of `make run`). A change calls
`invalidate()` (from `post_save`/`post_delete` signals, or the service that changed the rows
with a queryset `update()`): the process that made it drops its values at once, and after
the transaction commits a new token is written, which every other process reads at most
`CHECK_EVERY` seconds later, dropping its values too. So a revoked key or a changed rule is
seen everywhere within `CHECK_EVERY` seconds of the commit.

What keeps it correct:
- the token is written after the commit (`transaction.on_commit`): a process that reloads
  between the change and the commit reads the old rows, and the new token drops them again;
- the connection that changed rows does not store values until its transaction ends (it
  may read rows it has not committed, and a rollback would leave them cached);
- a missing token (evicted, cache flushed) counts as a change, and when the shared cache
  cannot be read nothing is stored: every call reads the database.
"""

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

logger = logging.getLogger(__name__)

CHECK_EVERY = 1.0  # seconds: how stale a value may be after another process's change
_registry: list["VersionedLocalCache"] = []


class VersionedLocalCache:
    """Values of one kind (named `name`), each loaded once per process and version."""

    def __init__(self, name: str, *, max_entries: int = 10_000):
        self.name = name
        self.max_entries = max_entries
        self.clock: Callable[[], float] = time.monotonic  # tests move it
        self._values: dict[Hashable, Any] = {}
        self._version: str | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        _registry.append(self)

    @property
    def _token_key(self) -> str:
        return f"local-cache-version:{self.name}"

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The value under `key`, from `load()` the first time in this process and version.
        A value `load` returns as None is not stored (an unknown API key stays unknown
        without filling memory)."""
        if not self._usable():
            return load()
        try:
            return self._values[key]
        except KeyError:
            pass
        version = self._version
        value = load()
        if value is not None and not self._changed_here():
            with self._lock:
                # Not if the version moved while loading: the value may predate the change.
                if self._version == version:
                    if len(self._values) >= self.max_entries:
                        self._values.clear()
                    self._values[key] = value
        return value

    def invalidate(self) -> None:
        """Rows behind this cache changed (or are changing in the open transaction)."""
        self.clear()
        if connection.in_atomic_block:
            dirty = getattr(connection, "local_caches_changed", None)
            if dirty is None:
                dirty = connection.local_caches_changed = set()
            dirty.add(self.name)
        transaction.on_commit(self._publish)

    def clear(self) -> None:
        """Drop this process's values (the version is read again on the next call)."""
        with self._lock:
            self._values.clear()
            self._version = None
            self._checked_at = float("-inf")

    def _publish(self) -> None:
        dirty = getattr(connection, "local_caches_changed", None)
        if dirty is not None:
            dirty.discard(self.name)
        self.clear()
        try:
            cache.set(self._token_key, uuid.uuid4().hex, timeout=None)
        except Exception:  # any cache failure: other processes must see the token missing
            logger.warning("Could not publish a new version of the %s cache", self.name)
            with contextlib.suppress(Exception):  # nothing more to try
                cache.delete(self._token_key)

    def _changed_here(self) -> bool:
        """Whether this connection changed the rows in a transaction still open."""
        dirty = getattr(connection, "local_caches_changed", None)
        if not dirty:
            return False
        if not connection.in_atomic_block:  # that transaction ended (a rollback)
            dirty.clear()
            return False
        return self.name in dirty

    def _usable(self) -> bool:
        """Whether the values may be used: the version was read within CHECK_EVERY seconds
        (reading it now if not, and dropping the values if it moved)."""
        now = self.clock()
        if now - self._checked_at < CHECK_EVERY and self._version is not None:
            return True
        try:
            version = cache.get(self._token_key)
            if version is None:
                cache.add(self._token_key, uuid.uuid4().hex, timeout=None)
                version = cache.get(self._token_key)
        except Exception:  # any cache failure: read the database instead
            logger.warning("Could not read the version of the %s cache", self.name)
            self.clear()
            return False
        if version is None:
            self.clear()
            return False
        with self._lock:
            if version != self._version:
                self._values.clear()
                self._version = version
            self._checked_at = now
        return True


def local_caches_clear() -> None:
    """Drop every cache's values in this process (tests: between two tests)."""
    for local_cache in _registry:
        local_cache.clear()
    connection.local_caches_changed = set()
