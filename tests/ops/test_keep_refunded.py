"""Resolving a review by keeping the order refunded gives back what actually reached the
shop (the ledger's record of the payment), never the price when the two differ, once."""

from decimal import Decimal

import pytest

from orders.models import OrderStatus, PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_mark_paid
from tests.ops.test_order_actions import operate
from tests.orders.fixtures import GAME_INPUT, PRICE, balance_of
from wallets.models import Transfer
from wallets.selectors import ledger_check, order_money, system_account_balance

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway_order_of(product):
    """A signed-in buyer's order paid through the gateway (refunds go to the wallet)."""

    def make(user):
        return order_create(
            purchase=Purchase(
                product=product,
                user=user,
                customer_data=GAME_INPUT,
                payment_method=PaymentMethod.GATEWAY,
            )
        )

    return make


def refunds_of(order):
    return Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund")


@pytest.mark.parametrize("received", [Decimal("1000.00"), PRICE + Decimal("500.00")])
def test_keep_refunded_refunds_the_gateway_payment_received_once(
    finance_client, gateway_order_of, customer, received
):
    order = order_mark_paid(order=gateway_order_of(customer), amount=received)
    assert order.status == OrderStatus.NEEDS_REVIEW  # the amount differs from the price
    sales = system_account_balance("sales")

    first = operate(finance_client, order, "keep_refunded", reason="wrong amount paid")
    second = operate(finance_client, order, "keep_refunded", reason="double click")

    assert (first.status_code, second.status_code) == (302, 302)
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert balance_of(customer) == received
    assert system_account_balance("sales") == sales - received
    assert refunds_of(order).count() == 1
    assert order_money(order=order) == (received, received)
    assert order.refund_note == f"Refunded to your wallet: Rp {received:,.0f}."
    assert order.events.filter(actor__username="fin-finance").count() == 1
    assert ledger_check().ok


def test_a_guest_who_paid_a_wrong_amount_is_refunded_outside_with_that_amount(
    finance_client, guest_order
):
    order = order_mark_paid(order=guest_order, amount=Decimal("7000.00"))

    operate(finance_client, order, "keep_refunded", reason="refund by bank")

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert "(Rp 7,000 received)" in order.refund_note
    assert not refunds_of(order).exists()


def test_nothing_is_refunded_when_no_money_reached_the_shop(
    finance_client, gateway_order_of, customer
):
    order = order_mark_paid(order=gateway_order_of(customer), amount=Decimal("0"))
    assert order.status == OrderStatus.NEEDS_REVIEW

    operate(finance_client, order, "keep_refunded", reason="nothing paid")

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert balance_of(customer) == 0
    assert not refunds_of(order).exists()
    assert order.refund_note == "No payment reached the shop; nothing to refund."


def test_support_cannot_keep_an_order_refunded(support_client, gateway_order_of, customer):
    order = order_mark_paid(order=gateway_order_of(customer), amount=Decimal("1000.00"))

    response = operate(support_client, order, "keep_refunded", reason="x")

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert balance_of(customer) == 0
