"""/healthz describes the beat running now: each beat run is recorded (shop/beat.py)."""

import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from celery.beat import ScheduleEntry
from django.utils import timezone

from shop.beat import HEARTBEAT_TASK, Scheduler
from shop.celery import app
from shop.models import Heartbeat
from shop.services import beat_run_started, beat_run_stopped, heartbeat_record
from shop.tasks import beat_heartbeat
from tests.conftest import BASE_DIR, _database_url_of_this_test, stop_process, wait_until


def beat_check(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, response.json()["checks"]["beat"]


def heartbeat_entry(scheduler: Scheduler) -> ScheduleEntry:
    (entry,) = [e for e in scheduler.schedule.values() if e.task == HEARTBEAT_TASK]
    return entry


def send(entry: ScheduleEntry, *, scheduler: Scheduler) -> None:
    """What the scheduler does when the entry is due (tasks run eagerly in tests)."""
    assert beat_heartbeat.name in app.tasks  # so the scheduler runs it here, not through a broker
    scheduler.apply_async(entry, advance=False)


@pytest.mark.django_db(transaction=True)
def test_a_quick_restart_is_not_healthy_on_the_previous_runs_heartbeat(client, tmp_path):
    first = Scheduler(app=app, schedule_filename=str(tmp_path / "first"))
    first_heartbeat = heartbeat_entry(first)
    send(first_heartbeat, scheduler=first)
    assert beat_check(client)[0] == 200

    first.close()  # Ctrl-C or SIGTERM of the beat
    status, check = beat_check(client)
    assert status == 503
    assert "stopped at" in check["detail"]

    second = Scheduler(app=app, schedule_filename=str(tmp_path / "second"))
    status, check = beat_check(client)
    assert status == 503
    assert check["detail"].startswith("no heartbeat yet from the beat started at")

    send(first_heartbeat, scheduler=second)  # still queued from the first run: does not count
    assert beat_check(client)[0] == 503

    send(heartbeat_entry(second), scheduler=second)
    status, check = beat_check(client)
    assert status == 200
    assert check["ok"] is True
    second.close()


@pytest.mark.django_db(transaction=True)
def test_each_run_sends_heartbeats_that_name_it_from_its_first_tick(tmp_path):
    scheduler = Scheduler(app=app, schedule_filename=str(tmp_path / "schedule"))
    entry = heartbeat_entry(scheduler)
    heartbeat = Heartbeat.objects.get(name="beat")

    assert entry.kwargs == {
        "run_id": heartbeat.run_id,
        "run_started_at": heartbeat.started_at.isoformat(),
    }
    assert (heartbeat.stopped_at, heartbeat.beat_at) == (None, None)
    assert entry.is_due().is_due  # the first heartbeat goes at the first tick
    scheduler.close()


@pytest.mark.django_db
def test_a_heartbeat_of_a_later_run_whose_start_was_not_recorded_counts(client):
    # E.g. the beat started before the database was migrated (docker compose).
    beat_run_started(run_id="old", started_at=timezone.now() - timedelta(minutes=5))

    counted = heartbeat_record(run_id="new", started_at=timezone.now())

    assert counted is True
    assert Heartbeat.objects.get(name="beat").run_id == "new"
    assert beat_check(client)[0] == 200


@pytest.mark.django_db
def test_an_earlier_run_changes_nothing_of_the_recorded_one(client):
    now = timezone.now()
    beat_run_started(run_id="new", started_at=now)

    assert heartbeat_record(run_id="old", started_at=now - timedelta(minutes=5)) is False
    assert beat_run_started(run_id="old", started_at=now - timedelta(minutes=5)) is False
    assert beat_run_stopped(run_id="old") is False
    heartbeat = Heartbeat.objects.get(name="beat")
    assert (heartbeat.run_id, heartbeat.stopped_at, heartbeat.beat_at) == ("new", None, None)
    assert beat_check(client)[0] == 503


@pytest.mark.django_db
def test_a_heartbeat_handled_after_its_run_stopped_does_not_count(client):
    started_at = timezone.now()
    beat_run_started(run_id="run-1", started_at=started_at)
    beat_run_stopped(run_id="run-1")

    assert heartbeat_record(run_id="run-1", started_at=started_at) is False
    assert beat_check(client)[0] == 503


@pytest.mark.django_db(transaction=True)
def test_a_real_beat_process_records_its_start_and_its_stop_on_ctrl_c(tmp_path, client):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "DATABASE_URL": _database_url_of_this_test(),
        "SHOP_VAR_DIR": str(tmp_path),
    }
    log_path = tmp_path / "beat.log"
    with log_path.open("w") as log:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop", "beat", "--loglevel", "INFO"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_until(
            lambda: Heartbeat.objects.filter(name="beat").exclude(run_id="").exists(), timeout=60
        ), log_path.read_text()
        beat.send_signal(signal.SIGINT)
        assert beat.wait(timeout=60) is not None
    finally:
        stop_process(beat)
        print(log_path.read_text())  # shown by pytest when the test failed

    heartbeat = Heartbeat.objects.get(name="beat")
    assert heartbeat.stopped_at is not None
    assert heartbeat.started_at < heartbeat.stopped_at
    status, check = beat_check(client)
    assert status == 503
    assert "stopped at" in check["detail"]
