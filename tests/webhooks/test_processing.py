"""Every stored callback is processed in one place (webhooks/processing.py): the view checks
a delivery's signature once, stores it, and hands the stored delivery to
`delivery_process`; processing that stored delivery again is a repeat the services ignore."""

import pytest
from django.test import Client

from orders.models import OrderStatus
from tests.webhooks.test_common import (
    DIGIFLAZZ,
    ENDPOINTS,
    IDS,
    TRIPAY,
    World,
    build_world,
    configure,
    latest_delivery,
    snapshot,
    valid_payload,
)
from tests.webhooks.test_unsigned_storage import forget_bucket
from webhooks.models import DeliveryOutcome
from webhooks.processing import delivery_process, protocol_for


@pytest.fixture
def world(db, settings) -> World:
    configure(settings)
    return build_world()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_delivery_past_the_unverified_limit_is_verified_once(
    world, endpoint, settings, monkeypatch
):
    """The 429 check and the signature check share one verification."""
    settings.WEBHOOK_UNVERIFIED_PER_MINUTE = 1
    address = "198.51.100.91"
    forget_bucket(address)
    client = Client(REMOTE_ADDR=address)
    payload = valid_payload(endpoint, world)
    assert endpoint.deliver(client, payload, secret="not-the-secret").status_code == 401
    protocol = type(protocol_for(endpoint.source))
    verify, checks = protocol.verify, []

    def counted(self, *args, **kwargs):
        checks.append(args)
        return verify(self, *args, **kwargs)

    monkeypatch.setattr(protocol, "verify", counted)

    reply = endpoint.deliver(client, payload)

    assert reply.status_code == 200, reply.content
    assert len(checks) == 1
    assert latest_delivery().signature_valid is True


def test_a_tripay_payment_is_verified_once_and_parsed_once(client, world, monkeypatch):
    protocol = type(protocol_for(TRIPAY.source))
    calls = []
    for name in ("verify", "parse"):
        original = getattr(protocol, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(protocol, name, counted)

    reply = TRIPAY.deliver(client, valid_payload(TRIPAY, world))

    world.guest_order.refresh_from_db()
    assert reply.status_code == 200, reply.content
    assert calls == ["verify", "parse"]
    assert world.guest_order.status == OrderStatus.PAID


def test_processing_a_stored_delivery_again_changes_nothing(client, world):
    assert DIGIFLAZZ.deliver(client, valid_payload(DIGIFLAZZ, world)).status_code == 200
    delivery = latest_delivery()
    assert delivery.outcome == DeliveryOutcome.PROCESSED
    before = snapshot()

    again = delivery_process(delivery)

    assert (again.outcome, again.order) == (DeliveryOutcome.DUPLICATE, world.digiflazz_order)
    assert snapshot() == before
