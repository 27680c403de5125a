"""The storefront's page cache: what a page shows of the catalog, rendered once per catalog
version, language and price tier, and kept in the process (docs/storefront.md, "The page
cache").

The key starts with `CatalogVersion.version`, read once per request before anything it
keys. Triggers change it in the transaction of every change of the catalog, at its commit
(migration `catalog.0005_catalog_version`), so:
- a version read by a request is never older than the data the request reads after it
  (READ COMMITTED: every later statement sees at least that commit), and a fragment built
  on a miss is stored under a version no newer than its data: a cached price is never stale;
- a request whose own transaction changed the catalog and has not committed (it sees its
  own `CatalogChange` row) uses no cache, and neither does one that finds no version row
  (after a TRUNCATE), until a change writes it again.

Only fragments without anything of one visitor go in: no CSRF or checkout token, no
messages, no user; the page around them (layout, tokens) is rendered per request.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connection
from django.utils import translation

T = TypeVar("T")

MAX_ENTRIES = 1024  # per process; each brand page's fragment is some tens of KiB

_VERSION_SQL = (
    "SELECT (SELECT version FROM catalog_catalogversion WHERE id = 1), "
    "EXISTS (SELECT 1 FROM catalog_catalogchange)"
)
_REQUEST_ATTRIBUTE = "_catalog_version"


def catalog_version() -> int | None:
    """The committed catalog version, or None when this transaction changed the catalog
    (not yet committed) or no version row exists: then nothing may be cached."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        version, own_change = cursor.fetchone()
    return None if own_change else version


def request_catalog_version(request) -> int | None:
    """`catalog_version()` read once per request (the first call), so every fragment of one
    page is of one version."""
    try:
        return getattr(request, _REQUEST_ATTRIBUTE)
    except AttributeError:
        version = catalog_version()
        setattr(request, _REQUEST_ATTRIBUTE, version)
        return version


class _Fragments:
    """A small LRU map, thread-safe, that forgets every entry of an older version as soon
    as a newer one is stored (versions are random: "older" is "not the last one stored")."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, object] = OrderedDict()
        self._version: int | None = None
        self._lock = threading.Lock()
        self.builds = 0  # how many fragments were built (a miss), for tests and the bench

    def get(self, key: tuple):
        with self._lock:
            value = self._entries.get(key, _MISSING)
            if value is not _MISSING:
                self._entries.move_to_end(key)
            return value

    def put(self, version: int, key: tuple, value) -> None:
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            self._entries[key] = value
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._version = None


_MISSING = object()
fragments = _Fragments(MAX_ENTRIES)


def page_fragment(request, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """`build()`'s result for `key` at the request's catalog version and language: from the
    cache, or built (and stored, when the version allows caching). `key` names the page and
    whatever else the fragment depends on (a slug, a price tier, a query)."""
    version = request_catalog_version(request)
    if version is None:
        fragments.builds += 1
        return build()
    full_key = (version, translation.get_language(), *key)
    value = fragments.get(full_key)
    if value is _MISSING:
        fragments.builds += 1
        value = build()
        fragments.put(version, full_key, value)
    return value
