"""celery beat's scheduler for the shop: each run of the beat announces itself.

At start the scheduler records a new run (a random id and its start time) and sends its
first heartbeat at once; every heartbeat carries the run; at a clean stop (Ctrl-C,
SIGTERM) it records the stop. /healthz believes only heartbeats of the recorded, unstopped
run, so neither a heartbeat left from before a quick restart nor one still queued from the
previous run makes a new start look healthy. This holds when web and beat restart
independently (docker compose): web reads the run from the database, whichever process
started first.
"""

import logging
import uuid
from collections.abc import Callable

from celery.beat import PersistentScheduler
from django.db import DatabaseError, connections
from django.utils import timezone

from shop.services import beat_run_started, beat_run_stopped

logger = logging.getLogger(__name__)

HEARTBEAT_TASK = "shop.tasks.beat_heartbeat"


class Scheduler(PersistentScheduler):
    """The persistent (shelve) scheduler, recording its run for /healthz."""

    run_id = ""  # none for a scheduler celery only inspects (lazy): it never runs

    def setup_schedule(self):
        self.run_id = uuid.uuid4().hex
        self.run_started_at = timezone.now()
        _write("the start of this beat run", beat_run_started, **self._run)
        super().setup_schedule()
        for entry in self.schedule.values():
            if entry.task == HEARTBEAT_TASK:
                # Due at the first tick: /healthz need not wait a whole interval for this run.
                entry.last_run_at = self.app.now() - entry.schedule.run_every

    def merge_inplace(self, b):
        # Every heartbeat this run sends names the run.
        super().merge_inplace(
            {
                name: {**entry, "kwargs": self._heartbeat_kwargs}
                if entry["task"] == HEARTBEAT_TASK
                else entry
                for name, entry in b.items()
            }
        )

    def close(self):
        try:
            super().close()
        finally:
            if self.run_id:
                # The signal that stops beat may have cut a query short (an eager task, the
                # heartbeat): the stop is written on a fresh connection, never that one.
                connections.close_all()
                _write("the stop of this beat run", beat_run_stopped, run_id=self.run_id)

    @property
    def _run(self) -> dict:
        return {"run_id": self.run_id, "started_at": self.run_started_at}

    @property
    def _heartbeat_kwargs(self) -> dict:
        return {"run_id": self.run_id, "run_started_at": self.run_started_at.isoformat()}


def _write(what: str, service: Callable[..., bool], **kwargs) -> None:
    """Run one write from the beat process; a database that is not ready only delays health."""
    try:
        service(**kwargs)
    except DatabaseError as exc:
        # The run's first heartbeat records it anyway (shop.services.heartbeat_record).
        logger.warning("Could not record %s: %s", what, exc)
    finally:
        # beat touches the database only here: no connection should idle until the next write.
        connections.close_all()
