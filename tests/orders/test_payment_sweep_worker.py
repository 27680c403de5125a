"""The sweep through a real Celery worker on Redis: beat's `gateway_payments_sweep` finds a
gateway order and a deposit paid at the sandbox gateway whose callbacks were lost, and the
checks it enqueues (run by the worker, which asks the sandbox) pay the order and credit the
deposit, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.checkout import checkout_create, deposit_checkout_create
from orders.models import Order, OrderStatus, PaymentMethod
from orders.purchase import Purchase
from providers.base import PaymentStatus
from providers.tripay.simulator_checkout import payment_settle
from shop.celery import app
from tests.conftest import wait_until
from tests.orders.fixtures import GAME_INPUT, balance_of, make_user
from wallets.models import Deposit, DepositStatus, Transfer
from wallets.selectors import ledger_check

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
TOP_UP = Decimal("50000.00")


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_the_sweep_pays_lost_callbacks_through_a_worker(product, celery_worker_process):
    order = checkout_create(
        purchase=Purchase(
            product=product,
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
            channel="SANDBOX",
        )
    )
    customer = make_user("topper")
    deposit_checkout_create(user=customer, amount=TOP_UP, channel="SANDBOX")
    deposit = Deposit.objects.get(user=customer)
    for reference in (order.gateway_reference, deposit.gateway_reference):
        payment_settle(
            provider="sandbox", reference=reference, status=PaymentStatus.PAID, callback_lost=True
        )
    # Both were made ten minutes ago (the worker's clock does not travel).
    ten_minutes_ago = timezone.now() - timedelta(minutes=10)
    Order.objects.filter(pk=order.pk).update(created_at=ten_minutes_ago)
    Deposit.objects.filter(pk=deposit.pk).update(created_at=ten_minutes_ago)

    app.send_task("orders.tasks.gateway_payments_sweep")

    assert wait_until(lambda: Order.objects.get(pk=order.pk).paid_at is not None)
    assert wait_until(lambda: balance_of(customer) == TOP_UP)
    order.refresh_from_db()
    assert order.status != OrderStatus.EXPIRED
    assert order.amount_received == order.price
    assert Transfer.objects.filter(idempotency_key=f"order:{order.code}:payment").count() == 1
    assert Deposit.objects.get(pk=deposit.pk).status == DepositStatus.CREDITED
    assert ledger_check().ok
