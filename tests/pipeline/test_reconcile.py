"""orders_reconcile (paid orders never placed, processing orders without a next poll,
orders past their deadline) and orders_expire_unpaid."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.utils import timezone

from orders import pipeline, tasks
from orders.models import Order, OrderStatus
from orders.purchase import Purchase
from orders.services.creation import order_create
from providers.models import ProviderCall, SimulatedOrder
from shop.celery import app
from tests.orders.fixtures import balance_of
from tests.pipeline.support import (
    DIGIFLAZZ,
    HUBBLE,
    buy,
    customer_data,
    fresh,
    move_to,
    poll_cycle,
    refunds,
    status_checks,
)
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)

MINUTE = timedelta(minutes=1)


@contextmanager
def placement_message_lost():
    """Pay with the placement message sent to the broker, then lose it (purge)."""
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = True
        app.control.purge()


def test_a_paid_order_never_placed_is_placed_by_the_reconciler_after_2_minutes(
    sims, products, buyer, clock
):
    with placement_message_lost():
        order = buy(products[DIGIFLAZZ], user=buyer)
    assert order.status == OrderStatus.PAID
    assert not ProviderCall.objects.exists()

    move_to(clock, order.paid_at + MINUTE)
    assert pipeline.orders_reconcile()["unplaced"] == []

    move_to(clock, order.paid_at + pipeline.PLACEMENT_GRACE)
    tasks.orders_reconcile.delay()  # re-enqueues order_place (eager: placed here)

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert SimulatedOrder.objects.filter(reference=order.code).count() == 1
    tasks.orders_reconcile.delay()  # nothing left to do
    assert SimulatedOrder.objects.count() == 1


def test_a_processing_order_without_a_next_poll_gets_one(sims, products, buyer, clock, settings):
    settings.SIMULATOR_PENDING_SECONDS = 3600
    order = buy(products[HUBBLE], user=buyer, suffix="91")
    Order.objects.filter(pk=order.pk).update(next_poll_at=None)
    poll_cycle()
    assert status_checks(order) == 0  # invisible to the poller

    found = pipeline.orders_reconcile()

    assert found["lost_polls"] == [order.pk]
    assert fresh(order).next_poll_at <= timezone.now()
    poll_cycle()
    assert status_checks(order) == 1
    assert fresh(order).next_poll_at is not None


def test_a_past_deadline_order_is_made_due_then_handed_to_a_person(
    sims, products, buyer, clock, settings
):
    settings.SIMULATOR_PENDING_SECONDS = 3600
    start = balance_of(buyer)
    order = buy(products[HUBBLE], user=buyer, suffix="91")
    far = order.deadline_at + timedelta(hours=3)
    Order.objects.filter(pk=order.pk).update(next_poll_at=far)  # e.g. a bad schedule

    move_to(clock, order.deadline_at)
    poll_cycle()
    assert fresh(order).status == OrderStatus.PROCESSING
    found = pipeline.orders_reconcile()
    assert found["overdue"] == [order.pk]
    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.NEEDS_REVIEW  # asked once more, then a person
    assert order.waiting_on_provider
    assert balance_of(buyer) == start - order.price
    assert refunds(order) == 0
    assert ledger_check().ok


def test_orders_reconcile_twice_changes_nothing_more(sims, products, buyer, clock):
    with placement_message_lost():
        order = buy(products[DIGIFLAZZ], user=buyer)
    move_to(clock, order.paid_at + pipeline.PLACEMENT_GRACE)
    assert pipeline.orders_reconcile()["unplaced"] == [order.pk]
    assert pipeline.orders_reconcile()["unplaced"] == [order.pk]  # only lists; no side effect

    tasks.order_place.delay(order.pk)
    tasks.order_place.delay(order.pk)

    assert SimulatedOrder.objects.count() == 1
    assert pipeline.orders_reconcile() == {"unplaced": [], "lost_polls": [], "overdue": []}


def test_unpaid_gateway_orders_expire_after_their_payment_window(sims, products, buyer, clock):
    def gateway_order(user=None):
        return order_create(
            purchase=Purchase(
                product=products[DIGIFLAZZ],
                user=user,
                guest_email="" if user else "guest@example.com",
                customer_data=customer_data(DIGIFLAZZ),
                payment_method="gateway",
            )
        )

    late = gateway_order()
    late_user = gateway_order(buyer)
    move_to(clock, late.payment_expires_at - 2 * MINUTE)
    on_time = gateway_order()
    paid = buy(products[DIGIFLAZZ], guest_email="paid@example.com")

    assert pipeline.orders_expire_unpaid() == 0
    move_to(clock, late.payment_expires_at)
    tasks.orders_expire_unpaid.delay()

    assert fresh(late).status == OrderStatus.EXPIRED
    assert fresh(late_user).status == OrderStatus.EXPIRED
    assert fresh(late).closed_at is not None
    assert fresh(on_time).status == OrderStatus.PENDING_PAYMENT
    assert fresh(paid).status == OrderStatus.SUCCESS
    assert pipeline.orders_expire_unpaid() == 0  # twice: nothing more
    assert fresh(late).events.filter(to_status=OrderStatus.EXPIRED).count() == 1
