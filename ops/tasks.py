"""Thin Celery wrappers around operations services."""

import logging

from celery import shared_task

from catalog.models import Provider
from ops.reconciliation import reconcile_all
from providers.sync import catalog_sync
from shop.errors import ApplicationError

logger = logging.getLogger(__name__)


@shared_task(name="ops.tasks.catalog_sync_provider")
def catalog_sync_provider(provider_id: int) -> None:
    """The admin's "sync catalog now": one provider's sync (its SyncRun records the result;
    a sync of it already running is that result, so this one is skipped)."""
    try:
        catalog_sync(provider=Provider.objects.get(pk=provider_id))
    except ApplicationError as exc:
        logger.info("catalog sync of provider #%s skipped: %s", provider_id, exc.message)


@shared_task(name="ops.tasks.reconcile_daily")
def reconcile_daily() -> None:
    reconcile_all()
