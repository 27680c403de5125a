"""Thin Celery wrappers: the simulators' clock, the providers' balances, the catalog sync."""

from celery import shared_task
from django.conf import settings

from catalog.models import SyncRun
from providers.base import ProviderError
from providers.bill_catalog import bill_demo_fees, bill_products_sync
from providers.health import providers_error_rate_check
from providers.services import providers_check_balances as check_balances
from providers.simulators import simulators_resolve_due
from providers.sync import catalog_sync_all as sync_all
from shop.messaging.whatsapp_simulator import whatsapp_simulator_send_statuses


@shared_task(name="providers.tasks.simulators_tick")
def simulators_tick() -> None:
    """Resolve due simulated pending orders and send their callbacks (simulators only)."""
    if settings.SIMULATORS_ENABLED:
        simulators_resolve_due()
        whatsapp_simulator_send_statuses()


@shared_task(name="providers.tasks.providers_check_balances")
def providers_check_balances() -> None:
    check_balances()


@shared_task(name="providers.tasks.providers_health_check")
def providers_health_check() -> None:
    """Staff told, once per crossing, of a provider whose error rate is over the threshold."""
    providers_error_rate_check()


# The catalog sync's tasks keep their names from when they were catalog's: the beat schedule
# and messages already queued carry them.
@shared_task(name="catalog.tasks.catalog_sync_all")
def catalog_sync_all() -> None:
    sync_all()


@shared_task(name="catalog.tasks.catalog_sync_demo", bind=True, max_retries=12)
def catalog_sync_demo(self) -> None:
    """`make run`'s first catalog: the simulators answer once the web process is up, so a
    failed provider is tried again a few seconds later."""
    runs = sync_all(auto_map=True)  # the demo sells a mapped catalog (docs/catalog.md)
    if not runs or any(run.status != SyncRun.Status.SUCCESS for run in runs):
        raise self.retry(countdown=5)
    try:
        bill_products_sync(provider_code="digiflazz")
    except ProviderError:
        raise self.retry(countdown=5) from None
    bill_demo_fees()
