"""Writes of the shop package."""

from django.db import transaction
from django.utils import timezone

from shop.models import Heartbeat

BEAT_HEARTBEAT = "beat"


@transaction.atomic
def heartbeat_record(*, name: str = BEAT_HEARTBEAT) -> Heartbeat:
    """Store that `name` is alive now; one row per name, overwritten each time."""
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now()}
    )
    return heartbeat
