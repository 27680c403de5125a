import pytest
from django.utils import timezone

from shop.celery import app
from shop.models import Heartbeat
from shop.tasks import beat_heartbeat
from tests.conftest import wait_until


def test_reliability_settings_hold():
    conf = app.conf

    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_time_limit
    assert conf.task_soft_time_limit
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_ignore_result is True


def test_redis_visibility_timeout_outlasts_every_scheduled_countdown():
    visibility_timeout = app.conf.broker_transport_options["visibility_timeout"]

    assert visibility_timeout >= 60 * 60
    intervals = [
        entry["schedule"]
        for entry in app.conf.beat_schedule.values()
        if isinstance(entry["schedule"], float)
    ]
    assert intervals
    assert max(intervals) < visibility_timeout


def test_beat_schedule_runs_the_heartbeat():
    assert app.conf.beat_schedule["beat-heartbeat"]["task"] == "shop.tasks.beat_heartbeat"
    assert beat_heartbeat.name in app.tasks


@pytest.mark.django_db
def test_heartbeat_task_runs_eagerly():
    started_at = timezone.now()

    app.tasks["shop.tasks.beat_heartbeat"].delay(
        run_id="run-1", run_started_at=started_at.isoformat()
    )

    heartbeat = Heartbeat.objects.get(name="beat")
    assert (heartbeat.run_id, heartbeat.started_at) == ("run-1", started_at)
    assert heartbeat.beat_at is not None


@pytest.mark.worker
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_heartbeat_task_runs_in_a_real_worker(celery_worker_process):
    app.send_task(
        "shop.tasks.beat_heartbeat",
        kwargs={"run_id": "run-1", "run_started_at": timezone.now().isoformat()},
    )

    assert wait_until(
        lambda: Heartbeat.objects.filter(name="beat", beat_at__isnull=False).exists(), timeout=60
    ), "the worker did not run the task"
