"""A chunked callback through a real gunicorn (the production server, `Dockerfile`): gunicorn
de-chunks the body and sets `wsgi.input_terminated`, so the shop reads it within the cap.
Sent with http.client, which frames a body of unknown length as `Transfer-Encoding: chunked`
with no Content-Length."""

import http.client
import json
import os
import socket
import subprocess
import sys

import pytest

from providers.digiflazz.webhook import sign_callback
from tests.conftest import BASE_DIR, _database_url_of_this_test, wait_until
from webhooks.base import UNVERIFIED_BODY_KEPT
from webhooks.models import DeliveryOutcome, WebhookDelivery

SECRET = "gunicorn-digiflazz-secret"
CAP = 64 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def gunicorn_port(transactional_db, tmp_path):
    """gunicorn serving the shop on this test's database, one sync worker."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "DATABASE_URL": _database_url_of_this_test(),
        "DIGIFLAZZ_WEBHOOK_SECRET": SECRET,
        "WEBHOOK_MAX_BODY_BYTES": str(CAP),
    }
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "shop.wsgi", "--bind", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_until(lambda: _answers(port), timeout=60), log_path.read_text()
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        print(log_path.read_text())  # shown when the test failed


def post_chunked(port: int, body: bytes, signature: str) -> tuple[int, dict]:
    """POST `body` to the Digiflazz callback in 1000-byte chunks; (status, JSON reply)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    pieces = (body[i : i + 1000] for i in range(0, len(body), 1000))
    connection.request(
        "POST",
        "/api/webhooks/digiflazz",
        body=pieces,  # an iterator: http.client sends it chunked
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature": signature,
            "X-Digiflazz-Event": "update",
        },
    )
    reply = connection.getresponse()
    status, content = reply.status, reply.read()
    connection.close()
    return status, json.loads(content)


def callback(ref_id: str, pad: int = 0) -> bytes:
    data = {"ref_id": ref_id, "status": "Sukses", "rc": "00", "sn": "SN-1", "pad": "x" * pad}
    return json.dumps({"data": data}).encode()


def test_a_signed_chunked_callback_is_read_and_acknowledged(gunicorn_port):
    body = callback("TRX-20260101-NOPE01", pad=5000)

    status, reply = post_chunked(gunicorn_port, body, sign_callback(SECRET, body))

    assert status == 200, reply
    delivery = WebhookDelivery.objects.get()
    assert delivery.signature_valid is True
    assert delivery.outcome == DeliveryOutcome.UNMATCHED  # read whole: an unknown order
    assert bytes(delivery.raw_body) == body
    assert delivery.headers["Transfer-Encoding"] == "chunked"
    assert "Content-Length" not in delivery.headers


def test_an_unsigned_chunked_callback_is_401_and_kept_short(gunicorn_port):
    body = callback("TRX-20260101-NOPE02", pad=30_000)

    status, reply = post_chunked(gunicorn_port, body, "sha1=" + "0" * 40)

    assert status == 401, reply
    delivery = WebhookDelivery.objects.get()
    assert delivery.body_size == len(body)
    assert bytes(delivery.raw_body) == body[:UNVERIFIED_BODY_KEPT]


def test_a_chunked_callback_over_the_cap_is_413(gunicorn_port):
    body = callback("TRX-20260101-NOPE03", pad=CAP + 10_000)

    status, reply = post_chunked(gunicorn_port, body, sign_callback(SECRET, body))

    assert status == 413, reply
    assert reply["code"] == "PAYLOAD_TOO_LARGE"
    delivery = WebhookDelivery.objects.get()
    assert delivery.body_size == CAP + 1
    assert len(bytes(delivery.raw_body)) <= UNVERIFIED_BODY_KEPT
