"""A status check and the gateway's callback for one payment at the same moment, on real
PostgreSQL (one connection per thread): the money is credited once."""

from collections import Counter
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from orders.checkout import checkout_create, deposit_checkout_create
from orders.models import OrderStatus, PaymentMethod
from orders.payment_checks import deposit_payment_check, order_payment_check
from orders.purchase import Purchase
from providers.base import PaymentStatus
from providers.models import SimulatedOrder
from providers.tripay import webhook
from providers.tripay.simulator_checkout import payment_callback_body, payment_settle
from tests.orders.fixtures import GAME_INPUT, balance_of, make_user
from tests.orders.test_concurrency import run_at_once
from wallets.models import Deposit, DepositStatus, SystemAccount, Transfer
from wallets.selectors import ledger_check, system_account_balance

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("placement_deferred"),
]
TOP_UP = Decimal("50000.00")


def paid_with_callback_lost(reference: str) -> bytes:
    """Pay the sandbox payment without a callback; return the callback it would have sent."""
    payment_settle(
        provider="sandbox", reference=reference, status=PaymentStatus.PAID, callback_lost=True
    )
    return payment_callback_body(SimulatedOrder.objects.get(external_id=reference))


def callback_then(body: bytes):
    def deliver() -> str:
        reply = Client().post(
            "/api/webhooks/tripay",
            data=body,
            content_type="application/json",
            HTTP_X_CALLBACK_SIGNATURE=webhook.sign_callback(settings.TRIPAY_PRIVATE_KEY, body),
            HTTP_X_CALLBACK_EVENT=webhook.PAYMENT_STATUS_EVENT,
        )
        return f"callback {reply.status_code}"

    return deliver


def test_checks_and_callbacks_at_once_credit_a_deposit_once():
    customer = make_user("topper")
    deposit_checkout_create(user=customer, amount=TOP_UP, channel="SANDBOX")
    deposit = Deposit.objects.get(user=customer)
    deliver = callback_then(paid_with_callback_lost(deposit.gateway_reference))
    turns = iter([deliver, lambda: deposit_payment_check(deposit_id=deposit.pk) and "check"] * 5)

    outcomes = Counter(run_at_once(10, lambda: next(turns)()))

    assert outcomes["callback 200"] == 5
    assert Deposit.objects.get(pk=deposit.pk).status == DepositStatus.CREDITED
    assert balance_of(customer) == TOP_UP
    assert Transfer.objects.filter(idempotency_key=f"deposit:{deposit.pk}:credit").count() == 1
    assert ledger_check().ok


def test_checks_and_callbacks_at_once_record_an_order_payment_once(product):
    order = checkout_create(
        purchase=Purchase(
            product=product,
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
            channel="SANDBOX",
        )
    )
    deliver = callback_then(paid_with_callback_lost(order.gateway_reference))
    turns = iter([deliver, lambda: order_payment_check(order_id=order.pk) and "check"] * 5)

    outcomes = Counter(run_at_once(10, lambda: next(turns)()))

    assert outcomes["callback 200"] == 5
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Transfer.objects.filter(idempotency_key=f"order:{order.code}:payment").count() == 1
    assert system_account_balance(SystemAccount.SALES) == order.price
    assert ledger_check().ok
