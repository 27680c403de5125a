"""Events are found by their kind, not their words: the once-only kinds are kept once by
the database, and the migration gives existing events the kind their words meant."""

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from orders.models import OrderEvent, OrderEventKind, OrderStatus
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_stop_polling
from orders.services.transitions import order_transition
from tests.orders.fixtures import PRICE, fund

backfill = importlib.import_module("orders.migrations.0012_order_event_kind")


def kinds(order) -> list[str]:
    return list(order.events.values_list("kind", flat=True))


def test_an_order_is_created_once_and_then_moves(balance_order, reseller):
    fund(reseller, PRICE)
    order_pay_with_balance(order=balance_order)

    assert kinds(balance_order) == [OrderEventKind.CREATED, OrderEventKind.TRANSITION]
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderEvent.objects.create(
            order=balance_order, kind=OrderEventKind.CREATED, to_status=OrderStatus.PAID
        )


def test_a_gateway_refund_is_reported_once_per_order(guest_order):
    OrderEvent.objects.create(
        order=guest_order, kind=OrderEventKind.GATEWAY_REFUND_REPORTED, to_status="x"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderEvent.objects.create(
            order=guest_order, kind=OrderEventKind.GATEWAY_REFUND_REPORTED, to_status="x"
        )


def test_polling_stopped_is_told_once_whatever_its_words(guest_order):
    order_transition(order=guest_order, to=OrderStatus.PAID)
    order_transition(order=guest_order, to=OrderStatus.PROCESSING)

    order_stop_polling(order=guest_order, reason="the hard stop passed")
    order_stop_polling(order=guest_order, reason="worded another way")

    stopped = guest_order.events.filter(kind=OrderEventKind.POLLING_STOPPED)
    assert list(stopped.values_list("to_status", flat=True)) == [OrderStatus.NEEDS_REVIEW]


def test_the_migration_derives_kinds_from_the_old_words(guest_order):
    guest_order.events.update(kind=OrderEventKind.TRANSITION)  # as the new column starts
    rows = [
        ("", "pending_payment", "Order created"),  # a second one: not unique, stays a move
        ("failed", "refunded", "Refunded through the gateway"),
        ("needs_review", "needs_review", "Polling stopped: the hard stop passed"),
        ("success", "success", "The gateway reports this payment refunded"),
        ("success", "success", "The gateway reports this payment refunded"),
        ("success", "success", "Codes revoked"),
        ("paid", "processing", "Placing at hubble"),
    ]
    OrderEvent.objects.bulk_create(
        OrderEvent(order=guest_order, from_status=a, to_status=b, message=m) for a, b, m in rows
    )

    backfill.backfill_kinds(apps, None)

    assert kinds(guest_order) == [
        OrderEventKind.CREATED,
        OrderEventKind.TRANSITION,
        OrderEventKind.GATEWAY_REFUNDED,
        OrderEventKind.POLLING_STOPPED,
        OrderEventKind.GATEWAY_REFUND_REPORTED,
        OrderEventKind.NOTE,
        OrderEventKind.NOTE,
        OrderEventKind.TRANSITION,
    ]
