from celery import shared_task
from django.conf import settings

from providers.services import providers_check_balances as check_balances
from providers.simulators import simulators_resolve_due


@shared_task(name="providers.tasks.simulators_tick")
def simulators_tick() -> None:
    """Resolve due simulated pending orders and send their callbacks (simulators only)."""
    if settings.SIMULATORS_ENABLED:
        simulators_resolve_due()


@shared_task(name="providers.tasks.providers_check_balances")
def providers_check_balances() -> None:
    check_balances()
