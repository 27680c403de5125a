import logging
from datetime import datetime

from celery import shared_task

from shop.messaging.outbox import message_send, messages_requeue_due
from shop.services import heartbeat_record

logger = logging.getLogger(__name__)


@shared_task(name="shop.tasks.beat_heartbeat")
def beat_heartbeat(*, run_id: str = "", run_started_at: str = "") -> None:
    """Sent by the beat (shop/beat.py) with its run; /healthz reads the heartbeat it leaves."""
    if not run_id or not run_started_at:
        logger.info("Ignored a beat heartbeat that names no beat run")
        return
    counted = heartbeat_record(run_id=run_id, started_at=datetime.fromisoformat(run_started_at))
    if not counted:
        logger.info("Ignored a heartbeat of beat run %s: it is not the running one", run_id)


@shared_task(name="shop.tasks.outbound_message_send")
def outbound_message_send(message_id: int) -> None:
    """Send one outbox message if it is still queued and due (shop/messaging/outbox.py)."""
    message_send(message_id=message_id)


@shared_task(name="shop.tasks.outbound_messages_requeue")
def outbound_messages_requeue() -> None:
    """The beat's sweep of the outbox: lost sends enqueued again, dead ones marked failed."""
    enqueued, failed = messages_requeue_due()
    if enqueued or failed:
        logger.info("Outbox: %s message(s) enqueued again, %s marked failed", enqueued, failed)
