"""Bills end to end on the Digiflazz simulator: inquiry, confirm, payment through the
pipeline, the money rule, expiry, and nothing paid twice (threads on real PostgreSQL)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from orders.bills import bill_confirm, bill_cutoff, bill_inquire, bills_expire_inquiries
from orders.models import Order, OrderKind, OrderStatus
from orders.pipeline import order_poll
from orders.services.payments import order_mark_paid
from providers.models import SimulatedOrder
from providers.simulators import simulators_resolve_due
from shop.errors import ApplicationError
from tests.orders.bill_fixtures import RESELLER_FEE, RETAIL_FEE
from tests.orders.fixtures import balance_of, fund, make_user
from tests.orders.test_concurrency import run_at_once
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)


def assert_ledger_clean():
    report = ledger_check()
    assert report.ok, report.problems


@pytest.fixture
def reseller(db):
    user = make_user("bill-reseller", reseller=True)
    fund(user, Decimal("5000000"))
    return user


@pytest.mark.parametrize("sku", ["pln", "bpjs", "pdam", "halo"])
def test_a_reseller_pays_each_bill_type_from_the_wallet(simulator, bill_products, reseller, sku):
    order = bill_inquire(product=bill_products[sku], customer_no="530000000001", user=reseller)

    assert order.status == OrderStatus.INQUIRED
    assert order.kind == OrderKind.BILL
    assert order.bill["customer_name"] == "PELANGGAN SIMULASI 0001"
    assert order.bill_service_fee == RESELLER_FEE
    assert order.price == order.bill_amount + order.bill_admin_fee + RESELLER_FEE
    assert order.cost == order.bill_amount + order.bill_admin_fee - 700

    order = bill_confirm(order=order, payment_method="balance", user=reseller)
    order.refresh_from_db()

    assert order.status == OrderStatus.SUCCESS  # placed eagerly: pay-pasca answered Sukses
    assert order.vouchers.get().serial.startswith("SIM")
    assert balance_of(reseller) == Decimal("5000000") - order.price
    assert SimulatedOrder.objects.get(reference=order.code).status == "Sukses"
    assert_ledger_clean()


def test_several_periods_show_each_period_and_penalty(simulator, bill_products, reseller):
    order = bill_inquire(product=bill_products["pln"], customer_no="530000000002", user=reseller)

    assert [p["penalty"] for p in order.bill["periods"]] == ["5000", "5000", "0"]
    total = sum(Decimal(p["amount"]) + Decimal(p["penalty"]) for p in order.bill["periods"])
    assert order.bill_amount == total
    assert order.bill_admin_fee == Decimal("7500.00")


@pytest.mark.parametrize("number", ["530000000004", "530000000005", "12ab"])
def test_no_bill_no_order(simulator, bill_products, reseller, number):
    with pytest.raises(ApplicationError) as refused:
        bill_inquire(product=bill_products["pln"], customer_no=number, user=reseller)

    assert refused.value.code in ("no_bill", "invalid_input")
    assert not Order.objects.exists()


def test_a_failed_payment_refunds_the_wallet(simulator, bill_products, reseller):
    order = bill_inquire(product=bill_products["halo"], customer_no="530000000006", user=reseller)
    bill_confirm(order=order, payment_method="balance", user=reseller)
    order.refresh_from_db()

    assert order.status == OrderStatus.REFUNDED
    assert balance_of(reseller) == Decimal("5000000")
    assert_ledger_clean()


def test_a_pending_payment_is_never_refunded_by_the_clock(simulator, bill_products, reseller):
    order = bill_inquire(product=bill_products["pln"], customer_no="530000000003", user=reseller)
    bill_confirm(order=order, payment_method="balance", user=reseller)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING
    SimulatedOrder.objects.filter(reference=order.code).update(resolve_at=None)  # stays pending

    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        order_poll(order_id=order.pk, claim=Order.objects.get(pk=order.pk).poll_claim)
        bills_expire_inquiries()
    order.refresh_from_db()

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.waiting_on_provider
    assert order.refunded_at is None
    assert balance_of(reseller) == Decimal("5000000") - order.price
    assert_ledger_clean()


def test_a_pending_payment_settles_on_the_providers_callback(simulator, bill_products, reseller):
    order = bill_inquire(product=bill_products["pln"], customer_no="530000000003", user=reseller)
    bill_confirm(order=order, payment_method="balance", user=reseller)
    SimulatedOrder.objects.filter(reference=order.code).update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )

    assert simulators_resolve_due() == 1  # the simulator calls the shop's webhook back
    order.refresh_from_db()

    assert order.status == OrderStatus.SUCCESS
    assert_ledger_clean()


def test_an_inquiry_expires_at_the_cutoff_and_cannot_be_paid(simulator, bill_products, reseller):
    order = bill_inquire(product=bill_products["bpjs"], customer_no="530000000001", user=reseller)
    assert order.inquiry_expires_at == bill_cutoff(order.created_at)

    with time_machine.travel(order.inquiry_expires_at + timedelta(seconds=1)):
        with pytest.raises(ApplicationError) as refused:
            bill_confirm(order=order, payment_method="balance", user=reseller)
        assert refused.value.code == "inquiry_expired"
    order.refresh_from_db()

    assert order.status == OrderStatus.EXPIRED
    assert balance_of(reseller) == Decimal("5000000")
    other = bill_inquire(product=bill_products["pdam"], customer_no="530000000001", user=reseller)
    with time_machine.travel(other.inquiry_expires_at + timedelta(seconds=1)):
        assert bills_expire_inquiries() == 1
    assert Order.objects.get(pk=other.pk).status == OrderStatus.EXPIRED


def test_a_guest_pays_a_bill_through_the_gateway(simulator, bill_products):
    order = bill_inquire(
        product=bill_products["pdam"], customer_no="530000000001", guest_email="g@example.com"
    )
    assert order.bill_service_fee == RETAIL_FEE

    order = bill_confirm(order=order, payment_method="gateway", channel="QRIS")
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.payment_expires_at <= order.inquiry_expires_at
    assert order.gateway_reference

    order_mark_paid(order=order, amount=order.price, gateway_reference=order.gateway_reference)
    order.refresh_from_db()

    assert order.status == OrderStatus.SUCCESS
    assert_ledger_clean()


def test_the_same_buyer_asking_again_gets_the_same_bill(simulator, bill_products, reseller):
    first = bill_inquire(product=bill_products["pln"], customer_no="530000000001", user=reseller)
    again = bill_inquire(product=bill_products["pln"], customer_no="530000000001", user=reseller)
    assert again.pk == first.pk

    bill_confirm(order=first, payment_method="balance", user=reseller)
    paid = bill_inquire(product=bill_products["pln"], customer_no="530000000001", user=reseller)
    assert paid.pk == first.pk  # paid today: the existing order, not a new inquiry

    other = make_user("other-buyer")
    with pytest.raises(ApplicationError) as refused:
        bill_inquire(product=bill_products["pln"], customer_no="530000000001", user=other)
    assert refused.value.code == "bill_already_paid"


def test_another_buyers_unconfirmed_inquiry_is_replaced(simulator, bill_products, reseller):
    other = make_user("other-buyer")
    first = bill_inquire(product=bill_products["pln"], customer_no="530000000001", user=other)

    mine = bill_inquire(product=bill_products["pln"], customer_no="530000000001", user=reseller)

    assert Order.objects.get(pk=first.pk).status == OrderStatus.CANCELLED
    assert mine.pk != first.pk
    # Cancelled: confirming it moves nothing and starts no payment.
    assert bill_confirm(order=first, payment_method="gateway").gateway_reference == ""
    assert Order.objects.get(pk=first.pk).status == OrderStatus.CANCELLED


def test_two_confirms_at_once_pay_once(simulator, bill_products, reseller):
    order = bill_inquire(product=bill_products["pln"], customer_no="530000000001", user=reseller)

    outcomes = run_at_once(
        2, lambda: bill_confirm(order=order, payment_method="balance", user=reseller).status
    )

    assert len(outcomes) == 2
    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCESS
    assert balance_of(reseller) == Decimal("5000000") - order.price
    assert SimulatedOrder.objects.filter(provider="digiflazz-pasca").count() == 1
    assert_ledger_clean()


def test_two_inquiries_at_once_make_one_order(simulator, bill_products, reseller):
    product = bill_products["bpjs"]

    outcomes = run_at_once(
        2, lambda: bill_inquire(product=product, customer_no="530000000001", user=reseller).code
    )

    assert outcomes[0] == outcomes[1]
    assert Order.objects.filter(kind=OrderKind.BILL, status=OrderStatus.INQUIRED).count() == 1
