"""What an unauthenticated caller can send that no handler expects: a Content-Length past
any integer column, JSON nested past Python's recursion limit. Each is a 4xx with a
message; the delivery row is kept; nothing else changes."""

import pytest

from tests.webhooks.test_common import ENDPOINTS, IDS, configure
from webhooks.body import MAX_RECORDED_SIZE
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db
DEEP = b"[" * 5000 + b"]" * 5000


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_huge_declared_length_is_a_413_and_the_delivery_is_kept(client, settings, endpoint):
    configure(settings)

    reply = client.post(
        endpoint.url, data=b"{}", content_type="application/json", CONTENT_LENGTH="3000000000"
    )

    assert reply.status_code == 413
    delivery = WebhookDelivery.objects.get()
    assert delivery.body_size == MAX_RECORDED_SIZE


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_json_nested_too_deep_is_refused_without_a_500_even_when_signed(client, settings, endpoint):
    configure(settings)
    settings.WEBHOOK_MAX_BODY_BYTES = 100_000

    reply = endpoint.post(client, DEEP, **endpoint.headers(DEEP))

    # Shan's signature is over the parsed body, so there it fails first (401).
    assert reply.status_code == (401 if endpoint.name == "shan" else 400)
    assert WebhookDelivery.objects.count() == 1


def test_a_deep_body_on_record_still_opens_in_the_admin(client, settings, admin_client):
    configure(settings)
    settings.WEBHOOK_MAX_BODY_BYTES = 100_000
    digiflazz = next(e for e in ENDPOINTS if e.name == "digiflazz")
    # Signed, so it is kept whole (an unverified one keeps its first KiB only).
    digiflazz.post(client, DEEP, **digiflazz.headers(DEEP))
    delivery = WebhookDelivery.objects.get()
    assert bytes(delivery.raw_body) == DEEP

    page = admin_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")

    assert page.status_code == 200
    assert "not JSON" in page.content.decode()


def test_a_nul_echoed_in_a_refusal_is_recorded_without_a_500(client, settings):
    """Found by the fuzz run: a signed brand update whose denominationType is a NUL is
    refused (400: no NUL in a body, webhooks.protocol.parse_json_object), and the refusal
    is stored."""
    configure(settings)
    endpoint = next(e for e in ENDPOINTS if e.name == "hubble-brand-updated")
    payload = {
        "id": "amazon-pay",
        "denominationType": "\x00",
        "status": "INACTIVE",
        "denominations": [100, 500, 1000],
        "amountRestrictions": {"minOrderAmount": 100, "maxOrderAmount": 1000},
    }

    reply = endpoint.deliver(client, payload)

    assert reply.status_code == 400
    delivery = WebhookDelivery.objects.get()
    assert delivery.http_status == 400
    assert "NUL character" in delivery.error


@pytest.mark.parametrize("with_key", [False, True])
def test_the_shan_balance_query_refuses_json_nested_too_deep(client, settings, with_key):
    settings.SHAN_TRANSACTION_KEY = "tx-key" if with_key else ""
    settings.WEBHOOK_MAX_BODY_BYTES = 100_000

    reply = client.post(
        "/api/shan/balance", data=DEEP, content_type="application/json", HTTP_X_TRANSACTION_KEY="x"
    )

    assert reply.status_code == (401 if with_key else 400)
