"""Writes of the shop package."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from shop.models import Heartbeat

BEAT_HEARTBEAT = "beat"


@transaction.atomic
def beat_run_started(*, run_id: str, started_at: datetime, name: str = BEAT_HEARTBEAT) -> bool:
    """Record that a run of `name` began; from now on only its heartbeats count.

    Returns False (and records nothing) when a later run is already recorded.
    """
    return _current_run(name=name, run_id=run_id, started_at=started_at) is not None


@transaction.atomic
def beat_run_stopped(*, run_id: str, name: str = BEAT_HEARTBEAT) -> bool:
    """Record that run `run_id` of `name` stopped; returns False when it is not the recorded run."""
    return bool(
        Heartbeat.objects.filter(name=name, run_id=run_id, stopped_at__isnull=True).update(
            stopped_at=timezone.now()
        )
    )


@transaction.atomic
def heartbeat_record(*, run_id: str, started_at: datetime, name: str = BEAT_HEARTBEAT) -> bool:
    """Store that run `run_id` of `name` is alive now; returns whether the heartbeat counted.

    It counts when it comes from the recorded run, or from a later run whose start was not
    recorded (that run becomes the recorded one). A heartbeat of an earlier run, or one sent
    before its run stopped but handled after, changes nothing.
    """
    heartbeat = _current_run(name=name, run_id=run_id, started_at=started_at)
    if heartbeat is None or heartbeat.stopped_at is not None:
        return False
    heartbeat.beat_at = timezone.now()
    heartbeat.save(update_fields=["beat_at"])
    return True


def _current_run(*, name: str, run_id: str, started_at: datetime) -> Heartbeat | None:
    """The locked row of run `run_id`, made the recorded run if it started later; else None."""
    heartbeat = Heartbeat.objects.select_for_update().filter(name=name).first()
    if heartbeat is None:
        heartbeat, _ = Heartbeat.objects.get_or_create(name=name)
        heartbeat = Heartbeat.objects.select_for_update().get(pk=heartbeat.pk)
    if heartbeat.run_id == run_id:
        return heartbeat
    if heartbeat.started_at is not None and heartbeat.started_at >= started_at:
        return None
    heartbeat.run_id = run_id
    heartbeat.started_at = started_at
    heartbeat.stopped_at = None
    heartbeat.beat_at = None
    heartbeat.save()
    return heartbeat
