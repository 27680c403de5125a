"""Thin Celery wrappers around operations services."""

from celery import shared_task

from catalog.models import Provider
from catalog.sync import catalog_sync


@shared_task(name="ops.tasks.catalog_sync_provider")
def catalog_sync_provider(provider_id: int) -> None:
    """The admin's "sync catalog now": one provider's sync (its SyncRun records the result)."""
    catalog_sync(provider=Provider.objects.get(pk=provider_id))


@shared_task(name="ops.tasks.reconcile_daily")
def reconcile_daily() -> None:
    from ops.reconciliation import reconcile_all

    reconcile_all()
