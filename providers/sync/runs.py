"""catalog_sync: one provider's price list into the catalog, in bulk; one sync of a
provider at a time, each recorded as a SyncRun.

The price list is fetched whole before anything is written (`fetch`), so a failed fetch
changes nothing; then `write` applies it in one transaction.
"""

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone

from catalog.models import Provider, SyncRun
from providers import registry
from providers.base import ProviderError, UpstreamAdapter
from providers.defaults import upstream_providers
from providers.sync.fetch import PriceList, price_list_fetch
from providers.sync.write import SyncCounts, SyncProgress, price_list_write
from shop.errors import ApplicationError

logger = logging.getLogger(__name__)

RUNNING_RUN_FRESH_FOR = timedelta(minutes=30)  # SQLite only: a RUNNING run older is stale


def catalog_sync(
    *,
    provider: Provider,
    adapter: UpstreamAdapter | None = None,
    progress: SyncProgress | None = None,
    auto_map: bool | None = None,
) -> SyncRun:
    """Bring `provider`'s products in line with its price list; return the finished SyncRun.

    Guarantees:
    - One sync per provider at a time: ApplicationError(code="sync_running") otherwise
      (PostgreSQL: an advisory lock in a transaction of its own, held throughout;
      SQLite: a RUNNING SyncRun younger than 30 minutes refuses).
    - Any exception from the adapter (building it included, e.g. NotConfigured) records a
      FAILED run with the error and changes nothing else; it is not raised.
    - The writes are one transaction, with the provider row locked (FOR NO KEY UPDATE) so
      its exchange rate or balance state cannot change under the pricing: a database error
      records a FAILED run, changes no product, and is raised.
    - Items are matched by (provider, SKU); brands and categories by slugified name. New
      products are created already priced (`catalog_create_products`); changed ones get
      only their changed fields written, then are repriced with the vanished ones
      (`catalog_reprice_products`); unchanged ones are not written at all. Created and
      updated rows get `last_synced_at`. Products missing from the list become
      provider-inactive. An invalid item is counted as an error and treated as missing.
    - New products are not mapped to a shop item (the admin lists them "to map") unless
      `auto_map` (default: settings.CATALOG_AUTO_MAP) maps them in the same transaction
      (`catalog.services.mapping.shop_items_auto_map`).
    - `progress(done, total)` is called with done=0 once the list is fetched, then at
      least every 5% of the items (every BATCH_SIZE items on long lists) and at the end.
    """
    with _exclusive_run(provider) as run:
        try:
            adapter = adapter or registry.get_adapter(provider.code)
            price_list = price_list_fetch(provider, adapter)
        except Exception as exc:  # any adapter failure is recorded, not raised
            logger.warning("catalog sync of %s: fetch failed: %s", provider.code, exc)
            return _finish(run, SyncRun.Status.FAILED, message=f"fetch failed: {_describe(exc)}")
        if progress:
            progress(0, len(price_list.items))
        try:
            with transaction.atomic():
                counts = price_list_write(provider, price_list, progress, auto_map=auto_map)
        except Exception as exc:
            _finish(
                run,
                SyncRun.Status.FAILED,
                message=f"write failed, nothing was changed: {_describe(exc)}",
            )
            raise
        return _finish(
            run,
            SyncRun.Status.SUCCESS,
            counts=counts,
            errors=price_list.error_count,
            message=_summary(counts, price_list),
        )


def catalog_sync_all(*, auto_map: bool | None = None) -> list[SyncRun]:
    """Sync every enabled upstream provider in turn (the scheduled job); return the runs.
    A failed sync is a FAILED run and a sync already running is skipped: neither stops the
    others. `auto_map`: see `catalog_sync`."""
    runs = []
    for provider in upstream_providers():
        try:
            runs.append(catalog_sync(provider=provider, auto_map=auto_map))
        except ApplicationError as exc:
            logger.info("catalog sync of %s skipped: %s", provider.code, exc.message)
        except Exception:  # recorded as a FAILED run already; the next provider still syncs
            logger.exception("catalog sync of %s failed", provider.code)
    return runs


def sync_run_summary(run: SyncRun) -> str:
    """One line about a finished run, for commands and logs."""
    first_line = next(iter(run.message.splitlines()), "")
    if run.status != SyncRun.Status.SUCCESS:
        return f"{run.provider.code}: {run.status}: {first_line}"
    took = (run.finished_at - run.started_at).total_seconds()
    return (
        f"{run.provider.code}: {run.status} in {took:.1f}s: created {run.created}, "
        f"updated {run.updated}, deactivated {run.deactivated}, hidden {run.hidden}; "
        f"{first_line}"
    )


# --- one sync at a time ------------------------------------------------------------------


@contextmanager
def _exclusive_run(provider: Provider) -> Iterator[SyncRun]:
    """A new RUNNING SyncRun of `provider`, while no other sync of it runs."""
    if not _has_advisory_locks():
        yield _claim_with_running_row(provider)
        return
    with _advisory_lock(provider.code):
        yield SyncRun.objects.create(provider=provider)


def _has_advisory_locks() -> bool:
    return connection.vendor == "postgresql"


def sync_lock_key(code: str) -> int:
    """The advisory lock key of `code`'s sync: stable across processes and releases."""
    digest = hashlib.blake2b(f"catalog_sync:{code}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def _advisory_lock(code: str) -> Iterator[None]:
    """Hold `pg_try_advisory_xact_lock` in a transaction kept open on a connection of its
    own, so neither the sync's transactions nor a reconnect of the main connection can drop
    it. Transaction-scoped, not a session lock: behind PgBouncer in transaction pooling a
    session lock would stay on whichever server connection took it; a transaction keeps its
    server connection until it ends. Released by the rollback in finally (and by PostgreSQL
    itself if the process dies)."""
    key = sync_lock_key(code)
    lock_connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        lock_connection.set_autocommit(False)
        with lock_connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
            (acquired,) = cursor.fetchone()
        if not acquired:
            raise _already_running(code)
        yield
    finally:
        try:
            lock_connection.rollback()
        except DatabaseError:  # the session is gone, and the lock with it
            logger.warning("could not unlock the catalog sync of %s", code, exc_info=True)
        lock_connection.close()


def _claim_with_running_row(provider: Provider) -> SyncRun:
    """Without advisory locks (SQLite): refuse while a fresh RUNNING run exists. The check
    and the insert share one transaction, which SQLite's IMMEDIATE mode serializes."""
    with transaction.atomic():
        fresh_since = timezone.now() - RUNNING_RUN_FRESH_FOR
        running = SyncRun.objects.filter(
            provider=provider, status=SyncRun.Status.RUNNING, started_at__gte=fresh_since
        )
        if running.exists():
            raise _already_running(provider.code)
        return SyncRun.objects.create(provider=provider)


def _already_running(code: str) -> ApplicationError:
    return ApplicationError(f"A sync of {code} is already running.", code="sync_running")


def _finish(
    run: SyncRun,
    status: str,
    *,
    counts: SyncCounts | None = None,
    errors: int = 0,
    message: str,
) -> SyncRun:
    counts = counts or SyncCounts()
    run.status = status
    run.finished_at = timezone.now()
    run.created, run.updated, run.deactivated = counts.created, counts.updated, counts.deactivated
    run.unchanged, run.hidden = counts.unchanged, counts.hidden
    run.errors = errors
    run.message = message
    run.save()
    return run


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ProviderError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


def _summary(counts: SyncCounts, price_list: PriceList) -> str:
    """SyncRun.message: counts the model has no field for, then the first item errors."""
    lines = [
        f"unchanged {counts.unchanged}, errors {price_list.error_count}, "
        f"prices changed {counts.repriced}"
    ]
    if counts.auto_map is not None:
        mapped = counts.auto_map
        lines.append(
            f"auto-map: linked {mapped.linked} to existing items, created {mapped.created} "
            f"items, {mapped.unmapped} left to map"
        )
    lines.extend(price_list.errors)
    if price_list.error_count > len(price_list.errors):
        lines.append(f"... and {price_list.error_count - len(price_list.errors)} more errors")
    return "\n".join(lines)
