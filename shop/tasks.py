from celery import shared_task

from shop.services import heartbeat_record


@shared_task(name="shop.tasks.beat_heartbeat")
def beat_heartbeat() -> None:
    """Run by the beat schedule; /healthz reads the heartbeat it leaves."""
    heartbeat_record()
