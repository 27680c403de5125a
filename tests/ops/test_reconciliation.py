"""Reconciliation finds what differs, and says nothing when everything agrees."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ops.models import ReconciliationRun
from ops.reconciliation import (
    reconcile_all,
    reconcile_gateway_payments,
    reconcile_provider_balance,
    reconcile_provider_orders,
    reconcile_saldo_chain,
)
from orders.models import OrderEvent, PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import (
    order_apply_gateway_payment,
    order_mark_paid,
    order_pay_with_balance,
)
from orders.services.provider_updates import order_apply_provider_update
from providers.base import PaymentCallback, PaymentStatus, ProviderResult, ProviderStatus
from shop.models import Notification
from tests.catalog.factories import ProviderFactory
from tests.ops.conftest import make_staff
from tests.orders.fixtures import GAME_INPUT
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

pytestmark = pytest.mark.django_db


def window():
    now = timezone.now()
    return now - timedelta(hours=1), now + timedelta(minutes=1)


def delivered(order, **raw):
    """The provider's success reply for `order`, carrying `raw` as its reply body."""
    return order_apply_provider_update(
        order=order, result=ProviderResult(status=ProviderStatus.SUCCESS, raw=raw)
    )


@pytest.fixture
def digiflazz_order(balance_order, placement_deferred):
    provider = balance_order.product.provider
    provider.code = "digiflazz"
    provider.save()
    balance_order.provider_code = "digiflazz"
    balance_order.save(update_fields=["provider_code"])
    return order_pay_with_balance(order=balance_order)


def test_an_order_charged_as_booked_reconciles(digiflazz_order):
    delivered(digiflazz_order, price=int(digiflazz_order.cost), buyer_last_saldo=90000)
    start, end = window()

    run = reconcile_provider_orders(provider=digiflazz_order.product.provider, start=start, end=end)

    assert run.ok
    assert run.problems == []
    assert run.booked == run.reported == digiflazz_order.cost


def test_an_injected_price_difference_is_found(digiflazz_order):
    delivered(digiflazz_order, price=int(digiflazz_order.cost) + 150, buyer_last_saldo=89850)
    start, end = window()

    run = reconcile_provider_orders(provider=digiflazz_order.product.provider, start=start, end=end)

    assert not run.ok
    assert run.difference == Decimal("150.00")
    assert run.problems == [
        {
            "order": digiflazz_order.code,
            "booked": str(digiflazz_order.cost),
            "reported": str(digiflazz_order.cost + 150),
            "buyer_last_saldo": "89850",
            "problem": "charged differs from booked",
        }
    ]


def test_a_reply_without_a_price_is_a_problem(digiflazz_order):
    delivered(digiflazz_order)
    start, end = window()

    run = reconcile_provider_orders(provider=digiflazz_order.product.provider, start=start, end=end)

    assert not run.ok
    assert run.problems[0]["problem"] == "no `price` in the reply"


def test_the_saldo_chain_starts_at_the_last_saldo_before_the_window(digiflazz_order, reseller):
    delivered(digiflazz_order, price=10000, buyer_last_saldo=90000)
    OrderEvent.objects.filter(order=digiflazz_order).update(
        created_at=timezone.now() - timedelta(hours=3)
    )
    second = order_create(
        purchase=Purchase(
            product=digiflazz_order.product,
            user=reseller,
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.BALANCE,
        )
    )
    delivered(order_pay_with_balance(order=second), price=10000, buyer_last_saldo=79000)
    start, end = window()

    run = reconcile_saldo_chain(provider=digiflazz_order.product.provider, start=start, end=end)

    assert not run.ok
    assert run.problems == [
        {
            "order": second.code,
            "problem": "buyer_last_saldo breaks the chain (previous saldo - price)",
            "previous_saldo": "90000.00",
            "price": "10000.00",
            "expected": "80000.00",
            "buyer_last_saldo": "79000.00",
            "difference": "-1000.00",
        }
    ]
    assert (run.booked, run.reported, run.difference) == (10000, 11000, 1000)
    assert run.balance == Decimal("79000.00")


def test_a_success_reply_without_a_saldo_breaks_the_chain(digiflazz_order):
    delivered(digiflazz_order, price=10000)
    start, end = window()

    run = reconcile_saldo_chain(provider=digiflazz_order.product.provider, start=start, end=end)

    assert run.problems == [
        {"order": digiflazz_order.code, "problem": "no `buyer_last_saldo` or `price`"}
    ]


def test_hubble_balance_movement_against_booked_spend(balance_order, placement_deferred):
    hubble = ProviderFactory(code="hubble", currency="INR", exchange_rate=Decimal("2"))
    first = reconcile_provider_balance(provider=hubble, balance=Decimal("1000.00"))
    assert first.ok
    assert "baseline" in first.note
    balance_order.provider_code = "hubble"
    balance_order.save(update_fields=["provider_code"])
    delivered(order_pay_with_balance(order=balance_order))  # cost 10,000 IDR = 5,000 INR booked

    agree = reconcile_provider_balance(provider=hubble, balance=Decimal("-4000.00"))
    assert agree.ok, agree.problems
    differ = reconcile_provider_balance(provider=hubble, balance=Decimal("-4100.00"))
    assert not differ.ok
    assert differ.difference == Decimal("100.00")


def test_a_paid_gateway_order_without_a_callback_is_found(guest_order):
    order = order_mark_paid(order=guest_order, amount=guest_order.price)
    start, end = window()

    missing = reconcile_gateway_payments(start=start, end=end)
    WebhookDelivery.objects.create(
        source=WebhookSource.TRIPAY,
        raw_body=b"{}",
        signature_valid=True,
        outcome=DeliveryOutcome.PROCESSED,
        reference=order.code,
    )
    found = reconcile_gateway_payments(start=start, end=end)

    assert not missing.ok
    assert missing.problems == [
        {
            "order": order.code,
            "price": str(order.price),
            "problem": "paid without a verified callback",
        }
    ]
    assert found.ok
    assert found.reported == found.booked == order.price


def test_a_gateway_order_paid_on_the_gateways_answer_to_a_status_check_agrees(guest_order):
    """Its callback was lost: the gateway's `transaction/detail` said PAID instead."""
    report = PaymentCallback(
        merchant_ref=guest_order.code,
        reference="T0001000000000000006",
        status=PaymentStatus.PAID,
        amount_received=guest_order.price,
        total_amount=guest_order.price,
    )
    order_apply_gateway_payment(order=guest_order, callback=report, via="status_check")
    start, end = window()

    run = reconcile_gateway_payments(start=start, end=end)

    assert run.ok, run.problems
    assert run.reported == run.booked == guest_order.price


def test_reconcile_all_notifies_finance_and_the_command_fails(digiflazz_order):
    finance = make_staff("fiona", "finance")
    delivered(digiflazz_order, price=1, buyer_last_saldo=90000)
    start, end = window()

    runs = reconcile_all(start=start, end=end)

    assert [run.code for run in runs if not run.ok] == ["digiflazz"]
    assert (
        Notification.objects.filter(user=finance, title__startswith="Reconciliation").count() == 1
    )
    with pytest.raises(CommandError, match="differences"):
        call_command("reconcile", "--date", timezone.localdate().isoformat())
    assert ReconciliationRun.objects.filter(ok=False).count() >= 2
