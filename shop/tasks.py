import logging
from datetime import datetime

from celery import shared_task

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
