import pytest

from shop.celery import app
from shop.models import Heartbeat
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
    assert "shop.tasks.beat_heartbeat" in app.tasks


@pytest.mark.django_db
def test_heartbeat_task_runs_eagerly():
    app.tasks["shop.tasks.beat_heartbeat"].delay()

    assert Heartbeat.objects.filter(name="beat").count() == 1


@pytest.mark.worker
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_heartbeat_task_runs_in_a_real_worker(celery_worker_process):
    app.send_task("shop.tasks.beat_heartbeat")

    assert wait_until(lambda: Heartbeat.objects.filter(name="beat").exists(), timeout=60), (
        "the worker did not run the task"
    )
