"""What an unauthenticated caller can send that no handler expects: a Content-Length past
any integer column, JSON nested past Python's recursion limit. Each is a 4xx with a
message; the delivery row is kept; nothing else changes."""

import pytest

from tests.webhooks.test_common import ENDPOINTS, IDS, configure
from webhooks.base import MAX_RECORDED_SIZE
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
def test_json_nested_too_deep_is_refused_without_a_500(client, settings, endpoint):
    configure(settings)
    settings.WEBHOOK_MAX_BODY_BYTES = 100_000

    reply = client.post(endpoint.url, data=DEEP, content_type="application/json")

    assert 400 <= reply.status_code < 500
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("with_key", [False, True])
def test_the_shan_balance_query_refuses_json_nested_too_deep(client, settings, with_key):
    settings.SHAN_TRANSACTION_KEY = "tx-key" if with_key else ""
    settings.WEBHOOK_MAX_BODY_BYTES = 100_000

    reply = client.post(
        "/api/shan/balance", data=DEEP, content_type="application/json", HTTP_X_TRANSACTION_KEY="x"
    )

    assert reply.status_code == (401 if with_key else 400)
