import itertools

import pytest

from orders.models import ALLOWED_TRANSITIONS, STATUS_TIMESTAMP_FIELDS, Order, OrderStatus
from orders.services.transitions import order_transition
from shop.errors import ApplicationError

pytestmark = pytest.mark.django_db

ALL_MOVES = list(itertools.product(OrderStatus.values, OrderStatus.values))
ALLOWED = [(a, b) for a, b in ALL_MOVES if b in ALLOWED_TRANSITIONS[a]]
FORBIDDEN = [(a, b) for a, b in ALL_MOVES if b not in ALLOWED_TRANSITIONS[a]]


def test_the_machine_is_what_design_md_draws():
    assert set(ALLOWED) == {
        # a bill (docs/bills.md): confirmed by wallet or gateway, lapsed, or replaced
        ("inquired", "pending_payment"),
        ("inquired", "paid"),
        ("inquired", "expired"),
        ("inquired", "cancelled"),
        ("pending_payment", "paid"),
        ("pending_payment", "expired"),
        ("pending_payment", "cancelled"),
        ("pending_payment", "needs_review"),
        ("paid", "processing"),
        ("paid", "success"),
        ("paid", "failed"),
        ("paid", "needs_review"),
        # failover (docs/pipeline.md): the attempt failed for good, the next route places it
        ("processing", "paid"),
        ("processing", "success"),
        ("processing", "failed"),
        ("processing", "needs_review"),
        ("failed", "refunded"),
        ("failed", "needs_review"),
        ("refunded", "needs_review"),
        ("expired", "needs_review"),
        ("cancelled", "needs_review"),
        ("needs_review", "paid"),
        ("needs_review", "failed"),
        ("needs_review", "success"),
        ("needs_review", "refunded"),
        ("success", "needs_review"),  # the provider took the goods back (Hubble REVERSED)
    }


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_move_happens_once_with_an_event(guest_order, from_status, to_status):
    Order.objects.filter(pk=guest_order.pk).update(status=from_status)

    order = order_transition(order=guest_order, to=to_status, message="because")

    order.refresh_from_db()
    assert order.status == to_status
    if to_status in STATUS_TIMESTAMP_FIELDS:  # pending_payment has none (bills enter it)
        assert getattr(order, STATUS_TIMESTAMP_FIELDS[to_status]) is not None
    event = order.events.last()
    assert (event.from_status, event.to_status, event.message) == (
        from_status,
        to_status,
        "because",
    )


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN)
def test_every_forbidden_move_is_refused_and_changes_nothing(guest_order, from_status, to_status):
    Order.objects.filter(pk=guest_order.pk).update(status=from_status)
    events_before = guest_order.events.count()

    with pytest.raises(ApplicationError) as refused:
        order_transition(order=guest_order, to=to_status)

    assert refused.value.code == "invalid_transition"
    assert (
        str(refused.value)
        == f"Order {guest_order.code} cannot move from {from_status} to {to_status}."
    )
    guest_order.refresh_from_db()
    assert guest_order.status == from_status
    assert guest_order.events.count() == events_before
