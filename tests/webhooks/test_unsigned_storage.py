"""What an unsigned caller costs the shop: a delivery whose signature does not verify keeps its
headers (bounded), its size, its SHA-256 and at most the first KiB of its body; each address
has a bucket of such deliveries a minute (429 past it, nothing stored); old ones are pruned
by the beat. A verified delivery is stored whole. A chunked body is read within the cap
when the server ends it (gunicorn), and refused with 411 when it cannot.
"""

import hashlib
import io
import json
from datetime import timedelta

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from ops.models import WebhookBodyReveal
from shop.ratelimit import KEY_PREFIX
from tests.webhooks.test_common import (
    CAP,
    DIGIFLAZZ,
    ENDPOINTS,
    HEADER_SIGNED,
    IDS,
    World,
    build_world,
    configure,
    latest_delivery,
    padded_to,
    snapshot,
    valid_payload,
)
from webhooks.base import UNVERIFIED_BODY_KEPT, UNVERIFIED_HEADERS_KEPT, unverified_limit_key
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource
from webhooks.services import webhook_prune_unverified
from webhooks.tasks import webhooks_prune_unverified

pytestmark = pytest.mark.django_db
SIGNED_IDS = [endpoint.name for endpoint in HEADER_SIGNED]


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@pytest.fixture
def world(db, settings) -> World:
    configure(settings)
    return build_world()


def forget_bucket(address: str) -> None:
    """Start the address's bucket of unverified deliveries full (Redis keeps it a minute)."""
    redis.Redis.from_url(django_settings.REDIS_URL).delete(
        KEY_PREFIX + unverified_limit_key(address)
    )


# --- what is kept of an unsigned delivery --------------------------------------------------


@pytest.mark.parametrize("endpoint", HEADER_SIGNED, ids=SIGNED_IDS)
def test_an_unsigned_delivery_keeps_headers_size_sha256_and_the_first_kib(client, world, endpoint):
    body = padded_to(endpoint, valid_payload(endpoint, world), 60_000)
    before = snapshot()

    reply = endpoint.post(
        client, body, **endpoint.headers(body, signature="0" * 64), HTTP_X_REQUEST_ID="req-1"
    )

    assert reply.status_code == 401
    assert snapshot() == before
    delivery = latest_delivery()
    assert delivery.signature_valid is False
    assert bytes(delivery.raw_body) == body[:UNVERIFIED_BODY_KEPT]
    assert delivery.body_size == len(body)
    assert delivery.body_sha256 == sha256(body)
    assert delivery.headers["X-Request-Id"] == "req-1"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_verified_delivery_is_stored_whole_with_its_sha256(client, world, endpoint):
    body = padded_to(endpoint, valid_payload(endpoint, world), 20_000)

    reply = endpoint.post(client, body, **endpoint.headers(body))

    assert reply.status_code == 200, reply.content
    delivery = latest_delivery()
    assert delivery.signature_valid is True
    assert bytes(delivery.raw_body) == body
    assert (delivery.body_size, delivery.body_sha256) == (len(body), sha256(body))


def test_an_unsigned_callers_headers_are_kept_within_a_bound(client, world):
    body = json.dumps({"data": {}}).encode()
    huge = {f"HTTP_X_PAD_{i}": chr(ord("a") + i % 26) * 4000 for i in range(60)}

    reply = DIGIFLAZZ.post(client, body, **DIGIFLAZZ.headers(body, signature="sha1=00"), **huge)

    assert reply.status_code == 401
    kept = latest_delivery().headers
    assert len(json.dumps(kept)) <= UNVERIFIED_HEADERS_KEPT + 200
    assert kept["X-Hub-Signature"] == "[masked]"  # the useful ones come first, still masked
    assert kept["X-Digiflazz-Event"] == "update"


def test_a_verified_callers_headers_are_kept_whole(client, world):
    body = DIGIFLAZZ.encode(valid_payload(DIGIFLAZZ, world))

    reply = DIGIFLAZZ.post(client, body, **DIGIFLAZZ.headers(body), HTTP_X_PAD="p" * 3000)

    assert reply.status_code == 200
    assert latest_delivery().headers["X-Pad"] == "p" * 3000


# --- the bucket per address -----------------------------------------------------------------


def test_past_its_bucket_an_address_gets_429_and_nothing_is_stored(world, settings):
    settings.WEBHOOK_UNVERIFIED_PER_MINUTE = 3
    address = "198.51.100.77"
    forget_bucket(address)
    client = Client(REMOTE_ADDR=address)
    body = b'{"data": {}}'
    unsigned = DIGIFLAZZ.headers(body, signature="sha1=bad")

    answers = [DIGIFLAZZ.post(client, body, **unsigned).status_code for _ in range(3)]
    stored = WebhookDelivery.objects.count()
    refused = DIGIFLAZZ.post(client, body, **unsigned)

    assert answers == [401, 401, 401]
    assert refused.status_code == 429
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert int(refused["Retry-After"]) >= 1
    assert WebhookDelivery.objects.count() == stored  # nothing written for the refused call
    other = Client(REMOTE_ADDR="198.51.100.78")
    forget_bucket("198.51.100.78")
    assert DIGIFLAZZ.post(other, body, **unsigned).status_code == 401  # others unaffected

    # The provider itself, calling from that address with a good signature, still gets in.
    signed = DIGIFLAZZ.encode(valid_payload(DIGIFLAZZ, world))
    assert DIGIFLAZZ.post(client, signed, **DIGIFLAZZ.headers(signed)).status_code == 200
    assert latest_delivery().signature_valid is True


def test_verified_deliveries_do_not_use_up_the_bucket(world, settings):
    settings.WEBHOOK_UNVERIFIED_PER_MINUTE = 2
    address = "198.51.100.79"
    forget_bucket(address)
    client = Client(REMOTE_ADDR=address)
    signed = DIGIFLAZZ.encode(valid_payload(DIGIFLAZZ, world))

    answers = [
        DIGIFLAZZ.post(client, signed, **DIGIFLAZZ.headers(signed)).status_code for _ in range(5)
    ]

    assert answers == [200] * 5
    unsigned = DIGIFLAZZ.headers(b"{}", signature="sha1=bad")
    assert DIGIFLAZZ.post(client, b"{}", **unsigned).status_code == 401


# --- pruning -----------------------------------------------------------------------------------


def _delivery(**fields) -> WebhookDelivery:
    return WebhookDelivery.objects.create(source=WebhookSource.DIGIFLAZZ, raw_body=b"x", **fields)


@pytest.mark.django_db
def test_unverified_deliveries_past_the_retention_are_pruned_by_the_beat(settings):
    settings.WEBHOOK_REJECTED_RETENTION_DAYS = 14
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=15), tick=False):
        old_bad = _delivery(signature_valid=False, outcome=DeliveryOutcome.REJECTED)
        old_unchecked = _delivery(signature_valid=None, outcome=DeliveryOutcome.REJECTED)
        old_good = _delivery(signature_valid=True, outcome=DeliveryOutcome.PROCESSED)
        old_revealed = _delivery(signature_valid=False, outcome=DeliveryOutcome.REJECTED)
    with time_machine.travel(now - timedelta(days=13), tick=False):
        recent_bad = _delivery(signature_valid=False, outcome=DeliveryOutcome.REJECTED)
    from tests.ops.conftest import make_staff

    WebhookBodyReveal.objects.create(delivery=old_revealed, staff=make_staff("ada", None))

    with time_machine.travel(now, tick=False):
        webhooks_prune_unverified.delay()

    left = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert left == {old_good.pk, old_revealed.pk, recent_bad.pk}
    assert not WebhookDelivery.objects.filter(pk__in=[old_bad.pk, old_unchecked.pk]).exists()
    assert webhook_prune_unverified(older_than_days=14) == 0  # nothing more to do
    schedule = django_settings.CELERY_BEAT_SCHEDULE["webhooks-prune-unverified"]
    assert schedule["task"] == "webhooks.tasks.webhooks_prune_unverified"


# --- chunked bodies (Transfer-Encoding: chunked, no Content-Length) -----------------------------


def post_chunked(client, endpoint, body: bytes, *, terminated: bool = True, **extra):
    """As a WSGI server hands over a chunked body: no CONTENT_LENGTH, the de-chunked bytes
    in wsgi.input and (gunicorn) `wsgi.input_terminated`, which says reading to its end is
    safe."""
    environ = {
        "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        **extra,
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    return client.generic("POST", endpoint.url, **environ)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_valid_chunked_body_is_read_and_served(client, world, endpoint):
    body = endpoint.encode(valid_payload(endpoint, world))

    reply = post_chunked(client, endpoint, body, **endpoint.headers(body))

    assert reply.status_code == 200, reply.content
    delivery = latest_delivery()
    assert bytes(delivery.raw_body) == body
    assert delivery.body_size == len(body)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_chunked_body_over_the_cap_is_413_and_kept_short(client, world, endpoint):
    body = padded_to(endpoint, valid_payload(endpoint, world), CAP + 5000)
    before = snapshot()

    reply = post_chunked(client, endpoint, body, **endpoint.headers(body))

    assert reply.status_code == 413
    assert snapshot() == before
    delivery = latest_delivery()
    assert (delivery.outcome, delivery.http_status) == (DeliveryOutcome.REJECTED, 413)
    assert delivery.body_size == CAP + 1  # as far as it was read
    assert len(bytes(delivery.raw_body)) <= UNVERIFIED_BODY_KEPT


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_chunked_body_the_server_does_not_end_is_411(client, world, endpoint):
    body = endpoint.encode(valid_payload(endpoint, world))
    before = snapshot()

    reply = post_chunked(client, endpoint, body, terminated=False, **endpoint.headers(body))

    assert reply.status_code == 411
    assert endpoint.error_code(reply) == "LENGTH_REQUIRED"
    assert snapshot() == before
    assert latest_delivery().http_status == 411


@pytest.mark.parametrize("terminated", [True, False])
def test_the_shan_balance_query_reads_a_chunked_body_or_answers_411(client, settings, terminated):
    settings.SHAN_TRANSACTION_KEY = ""
    body = json.dumps(
        {
            "batch_requests": [{"member_account": "nobody", "product_code": 15}],
            "operator_code": "X",
            "currency": settings.SHOP_CURRENCY,
        }
    ).encode()

    reply = client.generic(
        "POST",
        "/api/shan/balance",
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": io.BytesIO(body)},
        **({"wsgi.input_terminated": True} if terminated else {}),
    )

    assert reply.status_code == (200 if terminated else 411)
    if terminated:
        assert reply.json()["data"][0]["code"] == 1000  # read: the member was looked up


def test_the_admin_says_how_much_of_an_unverified_body_was_kept(client, world, admin_client):
    body = padded_to(DIGIFLAZZ, valid_payload(DIGIFLAZZ, world), 5000)
    DIGIFLAZZ.post(client, body, **DIGIFLAZZ.headers(body, signature="sha1=00"))
    delivery = latest_delivery()

    page = admin_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")

    text = page.content.decode()
    assert page.status_code == 200
    assert f"Only the first {UNVERIFIED_BODY_KEPT} of 5000 bytes are kept" in text
    assert sha256(body) in text
