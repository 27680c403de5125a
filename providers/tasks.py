from celery import shared_task
from django.conf import settings

from providers.simulators import simulators_resolve_due


@shared_task(name="providers.tasks.simulators_tick")
def simulators_tick() -> None:
    """Resolve due simulated pending orders and send their callbacks (simulators only)."""
    if settings.SIMULATORS_ENABLED:
        simulators_resolve_due()
