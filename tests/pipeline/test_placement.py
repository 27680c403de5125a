"""order_place: from `paid` only, one call to the adapter, the result applied; buyers told.

Every test runs the real adapters against their simulators over live_server; placement
runs eagerly when the payment commits (on_commit → order_place.delay)."""

from decimal import Decimal

import pytest
from django.core import mail

from orders import pipeline, tasks
from orders.models import OrderStatus
from orders.purchase import Purchase
from orders.services.creation import order_create
from providers.models import ProviderCall, SimulatedOrder
from shop.models import Notification
from tests.orders.fixtures import balance_of
from tests.pipeline.support import (
    DIGIFLAZZ,
    FOXRELOAD,
    HUBBLE,
    PLACE_ENDPOINTS,
    UPSTREAMS,
    buy,
    calls,
    customer_data,
    fresh,
    refunds,
    sim_orders,
    staff_notifications,
)
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("code", UPSTREAMS)
def test_a_paid_order_is_placed_once_and_delivered(sims, products, buyer, code):
    order = buy(products[code], user=buyer)

    assert order.status == OrderStatus.SUCCESS
    assert order.attempts == 1
    assert not order.needs_verification
    assert order.next_poll_at is None
    vouchers = list(order.vouchers.all())
    assert len(vouchers) == 1
    assert vouchers[0].code or vouchers[0].serial
    assert sim_orders(order).count() == 1
    assert calls(order, PLACE_ENDPOINTS[code]).count() == 1
    # The buyer hears of it in the app and by e-mail.
    note = Notification.objects.get(user=buyer)
    assert order.code in note.title
    assert "complete" in note.title
    assert [m.to for m in mail.outbox if order.code in m.subject] == [[buyer.email]]
    assert list(order.events.values_list("to_status", flat=True)) == [
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAID,
        OrderStatus.PROCESSING,
        OrderStatus.SUCCESS,
    ]


def test_hubble_vouchers_keep_their_pin_and_expiry(sims, products, buyer):
    order = buy(products[HUBBLE], user=buyer)

    voucher = order.vouchers.get()
    sim_voucher = SimulatedOrder.objects.get(reference=order.code).state["vouchers"][0]
    assert voucher.code == sim_voucher["cardNumber"]
    assert voucher.pin == sim_voucher["cardPin"]
    assert voucher.expires_on is not None


def test_the_simulator_gets_our_code_and_the_cost_we_priced_with(sims, products, buyer):
    order = buy(products[DIGIFLAZZ], user=buyer)

    sent = SimulatedOrder.objects.get(provider=DIGIFLAZZ, reference=order.code).request
    assert sent["ref_id"] == order.code
    assert sent["buyer_sku_code"] == "DANA10"
    assert sent["customer_no"] == customer_data(DIGIFLAZZ)["phone"]
    assert sent["max_price"] == 10120


@pytest.mark.parametrize("code", UPSTREAMS)
def test_a_definite_failure_refunds_the_buyer_and_tells_them(sims, products, buyer, code):
    before = balance_of(buyer)

    order = buy(products[code], user=buyer, suffix="93")

    assert order.status == OrderStatus.REFUNDED
    assert balance_of(buyer) == before
    assert refunds(order) == 1
    assert order.failure_reason
    assert not order.vouchers.exists()
    note = Notification.objects.get(user=buyer)
    assert order.code in note.title
    assert "refunded" in note.title
    assert [m.to for m in mail.outbox if order.code in m.subject] == [[buyer.email]]
    assert ledger_check().ok


def test_a_guest_is_told_by_e_mail_only(sims, products):
    order = buy(products[HUBBLE], guest_email="guest@example.com")

    assert order.status == OrderStatus.SUCCESS
    assert not Notification.objects.filter(user__isnull=False).exists()
    assert [m.to for m in mail.outbox if order.code in m.subject] == [["guest@example.com"]]


def test_a_failed_guest_order_waits_for_a_staff_refund(sims, products):
    order = buy(products[DIGIFLAZZ], guest_email="guest@example.com", suffix="93")

    assert order.status == OrderStatus.FAILED
    assert "Refund pending" in order.refund_note
    assert [m.to for m in mail.outbox if order.code in m.subject] == [["guest@example.com"]]
    assert staff_notifications(title__contains=order.code).count() == 1
    assert ledger_check().ok


@pytest.mark.parametrize(
    "status", [OrderStatus.PENDING_PAYMENT, OrderStatus.PROCESSING, OrderStatus.SUCCESS]
)
def test_order_place_acts_only_on_a_paid_order(sims, products, buyer, status):
    order = order_create(
        purchase=Purchase(
            product=products[DIGIFLAZZ],
            user=buyer,
            customer_data=customer_data(DIGIFLAZZ),
            payment_method="balance",
        )
    )
    type(order).objects.filter(pk=order.pk).update(status=status)

    assert pipeline.order_place(order_id=order.pk) is None
    tasks.order_place.delay(order.pk)

    assert fresh(order).status == status
    assert not ProviderCall.objects.exists()
    assert not SimulatedOrder.objects.exists()


def test_placing_twice_calls_the_provider_once(sims, products, buyer):
    order = buy(products[FOXRELOAD], user=buyer)

    tasks.order_place.delay(order.pk)
    tasks.order_place.delay(order.pk)

    assert fresh(order).status == OrderStatus.SUCCESS
    assert calls(order, PLACE_ENDPOINTS[FOXRELOAD]).count() == 1
    assert SimulatedOrder.objects.filter(provider=FOXRELOAD).count() == 1


def test_an_unconfigured_provider_sends_the_order_to_review(sims, products, buyer, settings):
    settings.DIGIFLAZZ_USERNAME = ""

    order = buy(products[DIGIFLAZZ], user=buyer)

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert "DIGIFLAZZ_USERNAME" in order.events.last().message
    assert not ProviderCall.objects.exists()
    assert balance_of(buyer) == Decimal("10000000") - order.price  # nothing refunded blindly
