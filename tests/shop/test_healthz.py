from datetime import timedelta

import pytest
from django.utils import timezone

from shop.models import Heartbeat
from shop.services import beat_run_started, heartbeat_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_beat() -> None:
    """A beat run that started and sent its first heartbeat."""
    started_at = timezone.now()
    beat_run_started(run_id="run-1", started_at=started_at)
    heartbeat_record(run_id="run-1", started_at=started_at)


def test_healthz_is_200_when_every_part_answers(client, running_beat):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "broker", "beat"}
    assert body["checks"]["database"] == {"ok": True, "detail": "postgresql"}
    assert body["checks"]["broker"] == {"ok": True, "detail": "redis"}


def test_healthz_checks_the_embedded_broker(client, running_beat, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT = "shop.broker:Transport"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
    }

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"ok": True, "detail": "filesystem"}


def test_healthz_names_the_broker_when_its_port_is_closed(client, running_beat, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["detail"].startswith("redis: ")


def test_healthz_names_the_beat_when_no_beat_run_is_recorded(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["beat"]
    assert body["checks"]["beat"]["detail"] == ("no beat run recorded yet: is celery beat running?")


def test_healthz_names_the_beat_when_its_heartbeat_is_stale(client, settings):
    started_at = timezone.now() - timedelta(hours=1)
    Heartbeat.objects.create(
        name="beat",
        run_id="run-1",
        started_at=started_at,
        beat_at=timezone.now() - timedelta(seconds=settings.BEAT_HEARTBEAT_MAX_AGE + 5),
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]
