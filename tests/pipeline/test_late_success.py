"""A success reported after the order was refunded (staff decided, with the provider still
pending): the order goes to a person (needs_review, staff notified) with the vouchers kept;
the money is never refunded twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ops.services import ops_order_resolve_refund
from orders.models import OrderStatus
from providers.digiflazz import simulator as digiflazz_simulator
from providers.simulators import simulators_resolve_due
from tests.orders.fixtures import balance_of, make_user
from tests.pipeline.support import (
    DIGIFLAZZ,
    DIGIFLAZZ_TEST_PENDING_SUCCESS,
    HUBBLE,
    XLD10,
    buy,
    fresh,
    make_product,
    move_to,
    poll_cycle,
    refunds,
    sim_orders,
    staff_notifications,
)
from wallets.selectors import ledger_check
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def refunded_by_staff(order, clock):
    """Let the deadline pass with the provider still pending (the order goes to a person,
    never refunded by the clock); staff then decide to refund it."""
    for _ in range(10):
        order = fresh(order)
        if order.status != OrderStatus.PROCESSING:
            break
        move_to(clock, order.next_poll_at)
        poll_cycle()
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert refunds(order) == 0
    order = ops_order_resolve_refund(order=order, actor=make_user("staff"), reason="buyer asked")
    assert order.status == OrderStatus.REFUNDED
    return order


def finish_at_the_provider(order) -> None:
    """The provider finishes the order now and sends its real callback."""
    sim_orders(order).update(resolve_at=timezone.now() - timedelta(seconds=1))
    assert simulators_resolve_due() == 1


@pytest.mark.parametrize("code", [DIGIFLAZZ, HUBBLE])
def test_a_success_after_the_refund_goes_to_review_without_a_second_refund(
    sims, pricing, buyer, clock, settings, code
):
    settings.SIMULATOR_PENDING_SECONDS = 3600
    start = balance_of(buyer)
    if code == DIGIFLAZZ:
        order = buy(
            make_product(DIGIFLAZZ, sku=XLD10),
            user=buyer,
            data={"phone": DIGIFLAZZ_TEST_PENDING_SUCCESS},
        )
    else:
        order = buy(make_product(HUBBLE), user=buyer, suffix="91")
    order = refunded_by_staff(order, clock)
    assert balance_of(buyer) == start

    finish_at_the_provider(order)

    order = fresh(order)
    assert WebhookDelivery.objects.filter(order=order).exists()  # the callback reached us
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.vouchers.count() == 1  # kept for the person who settles it
    # once at the deadline, once for the late success
    assert staff_notifications(title__contains=f"{order.code} needs review").count() == 2
    assert not order.waiting_on_provider  # a person's now: never polled again
    assert refunds(order) == 1
    assert balance_of(buyer) == start
    assert ledger_check().ok


def test_a_repeated_late_success_changes_nothing_more(sims, pricing, buyer, clock, settings):
    settings.SIMULATOR_PENDING_SECONDS = 3600
    order = buy(
        make_product(DIGIFLAZZ, sku=XLD10),
        user=buyer,
        data={"phone": DIGIFLAZZ_TEST_PENDING_SUCCESS},
    )
    order = refunded_by_staff(order, clock)
    finish_at_the_provider(order)
    reviewed = fresh(order)

    digiflazz_simulator.send_callback(sim_orders(order).get())  # Digiflazz sends it again

    order = fresh(order)
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.review_at == reviewed.review_at
    assert order.vouchers.count() == 1
    assert staff_notifications(title__contains=f"{order.code} needs review").count() == 2
    assert refunds(order) == 1
    assert ledger_check().ok
