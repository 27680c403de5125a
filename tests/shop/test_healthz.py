from datetime import timedelta

import pytest
from django.utils import timezone

from shop.models import Heartbeat
from shop.tasks import beat_heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_is_200_when_every_part_answers(client):
    beat_heartbeat.delay()

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "broker", "beat"}
    assert body["checks"]["database"] == {"ok": True, "detail": "postgresql"}
    assert body["checks"]["broker"] == {"ok": True, "detail": "redis"}


def test_healthz_names_the_broker_when_its_port_is_closed(client, settings):
    beat_heartbeat.delay()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["detail"].startswith("redis: ")


def test_healthz_names_the_beat_when_no_heartbeat_came(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]


def test_healthz_names_the_beat_when_its_heartbeat_is_stale(client, settings):
    Heartbeat.objects.create(
        name="beat", beat_at=timezone.now() - timedelta(seconds=settings.BEAT_HEARTBEAT_MAX_AGE + 5)
    )

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]
