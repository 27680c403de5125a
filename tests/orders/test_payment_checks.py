"""`orders.payment_checks` when Tripay cannot answer (`responses` fakes its API): a timeout
or a 5xx is no answer, and without an answer nothing expires or is rejected; a refusal
about one payment does not hold the others up."""

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import responses
import time_machine
from django.utils import timezone
from responses import matchers

from orders import tasks
from orders.models import Order, OrderStatus
from orders.payment_checks import UNPAID_GRACE, orders_expire_unpaid
from orders.purchase import Purchase
from orders.services.creation import order_create
from providers.models import ProviderCall
from wallets.models import Deposit, DepositMethod, DepositStatus
from wallets.services import deposit_create

BASE = "https://tripay.co.id/api-sandbox"
DETAIL_URL = f"{BASE}/transaction/detail"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tripay(settings):
    settings.PAYMENT_GATEWAY = "tripay"
    settings.TRIPAY_BASE_URL = BASE


@pytest.fixture
def waiting_order(guest_order) -> Order:
    Order.objects.filter(pk=guest_order.pk).update(
        gateway_reference="T0001000000000000006", payment_gateway="tripay"
    )
    return Order.objects.get(pk=guest_order.pk)


@pytest.fixture
def waiting_deposit(customer) -> Deposit:
    deposit = deposit_create(user=customer, amount=Decimal("50000"), method=DepositMethod.GATEWAY)
    Deposit.objects.filter(pk=deposit.pk).update(
        gateway_reference="T0001000000000000007", payment_gateway="tripay"
    )
    return Deposit.objects.get(pk=deposit.pk)


@responses.activate
@pytest.mark.parametrize(
    "reply",
    [
        {"body": requests.exceptions.ReadTimeout("read timed out")},
        {"status": 502, "body": "Bad Gateway"},
    ],
    ids=["timeout", "502"],
)
def test_no_answer_expires_nothing(waiting_order, waiting_deposit, reply):
    responses.get(DETAIL_URL, **reply)

    with time_machine.travel(waiting_order.payment_expires_at + 2 * UNPAID_GRACE):
        expired = orders_expire_unpaid()
        tasks.deposit_payment_check.delay(waiting_deposit.pk)

    assert expired == 0
    assert Order.objects.get(pk=waiting_order.pk).status == OrderStatus.PENDING_PAYMENT
    assert Deposit.objects.get(pk=waiting_deposit.pk).status == DepositStatus.PENDING
    asked = ProviderCall.objects.filter(endpoint="transaction/detail")
    assert set(asked.values_list("reference", flat=True)) == {
        waiting_order.gateway_reference,
        waiting_deposit.gateway_reference,
    }


def second_tripay_order(product) -> Order:
    """Another guest order awaiting its Tripay payment (reference ...0008)."""
    order = order_create(
        purchase=Purchase(
            product=product,
            guest_email="second@example.com",
            customer_data={"user_id": "87654321"},
            payment_method="gateway",
        )
    )
    Order.objects.filter(pk=order.pk).update(
        gateway_reference="T0001000000000000008", payment_gateway="tripay"
    )
    return order


@responses.activate
def test_once_a_gateway_cannot_answer_its_other_orders_wait_for_the_next_run(
    waiting_order, product
):
    second_tripay_order(product)
    responses.get(DETAIL_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))

    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert orders_expire_unpaid() == 0

    asked = ProviderCall.objects.filter(endpoint="transaction/detail")
    assert set(asked.values_list("reference", flat=True)) == {waiting_order.gateway_reference}
    assert Order.objects.filter(status=OrderStatus.PENDING_PAYMENT).count() == 2


@responses.activate
def test_a_refusal_about_one_payment_does_not_hold_up_the_others(waiting_order, product):
    second = second_tripay_order(product)
    responses.get(
        DETAIL_URL,
        status=404,
        json={"success": False, "message": "Transaction not found"},
        match=[matchers.query_param_matcher({"reference": waiting_order.gateway_reference})],
    )
    responses.get(
        DETAIL_URL,
        json={
            "success": True,
            "message": "",
            "data": {
                "reference": "T0001000000000000008",
                "merchant_ref": second.code,
                "amount": int(second.price),
                "amount_received": int(second.price),
                "status": "EXPIRED",
                "paid_at": None,
                "expired_time": int(second.payment_expires_at.timestamp()),
            },
        },
        match=[matchers.query_param_matcher({"reference": "T0001000000000000008"})],
    )

    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert orders_expire_unpaid() == 1

    assert Order.objects.get(pk=waiting_order.pk).status == OrderStatus.PENDING_PAYMENT
    assert Order.objects.get(pk=second.pk).status == OrderStatus.EXPIRED


def detail_reply(order: Order, reference: str, **fields) -> dict:
    return {
        "success": True,
        "message": "",
        "data": {
            "reference": reference,
            "merchant_ref": order.code,
            "amount": int(order.price),
            "amount_received": int(order.price),
            "status": "UNPAID",
            "paid_at": None,
            "expired_time": int(order.payment_expires_at.timestamp()),
            **fields,
        },
    }


@responses.activate
def test_an_answer_that_breaks_one_order_does_not_hold_up_the_others(
    waiting_order, product, caplog
):
    """A PAID reply whose amount is NaN makes the apply raise (comparing NaN): that order
    stays as it was, is logged, and the orders due after it are still settled."""
    second = second_tripay_order(product)
    broken = detail_reply(
        waiting_order,
        waiting_order.gateway_reference,
        status="PAID",
        amount="NaN",
        amount_received="NaN",
        paid_at=int(timezone.now().timestamp()),
    )
    responses.get(
        DETAIL_URL,
        json=broken,
        match=[matchers.query_param_matcher({"reference": waiting_order.gateway_reference})],
    )
    responses.get(
        DETAIL_URL,
        json=detail_reply(second, "T0001000000000000008", status="EXPIRED"),
        match=[matchers.query_param_matcher({"reference": "T0001000000000000008"})],
    )

    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert orders_expire_unpaid() == 1

    assert Order.objects.get(pk=waiting_order.pk).status == OrderStatus.PENDING_PAYMENT
    assert Order.objects.get(pk=second.pk).status == OrderStatus.EXPIRED
    assert any(
        record.levelname == "ERROR" and waiting_order.code in record.getMessage()
        for record in caplog.records
    )


def no_expiry_reply(order: Order) -> dict:
    reply = detail_reply(order, order.gateway_reference)
    del reply["data"]["expired_time"]
    return reply


@responses.activate
def test_unpaid_without_a_gateway_expiry_waits_for_the_expiry_the_shop_sent_plus_grace(
    waiting_order,
):
    """Tripay got the shop's expiry (`expired_time`) at creation: an UNPAID answer that
    names no expiry is past it once the shop's expiry and the grace are over."""
    responses.get(DETAIL_URL, json=no_expiry_reply(waiting_order))

    with time_machine.travel(waiting_order.payment_expires_at + UNPAID_GRACE / 2):
        assert orders_expire_unpaid() == 0
    assert Order.objects.get(pk=waiting_order.pk).status == OrderStatus.PENDING_PAYMENT

    with time_machine.travel(waiting_order.payment_expires_at + UNPAID_GRACE):
        assert orders_expire_unpaid() == 1
    assert Order.objects.get(pk=waiting_order.pk).status == OrderStatus.EXPIRED


@responses.activate
def test_unpaid_without_a_gateway_expiry_waits_when_the_gateway_never_got_the_shops(
    waiting_order, monkeypatch
):
    """A gateway that was not sent the shop's expiry may still take the payment: an UNPAID
    answer with no expiry of its own never expires the order (the dashboard lists it)."""
    from providers.tripay.adapter import TripayAdapter

    monkeypatch.setattr(TripayAdapter, "takes_shop_expiry", False)
    responses.get(DETAIL_URL, json=no_expiry_reply(waiting_order))

    with time_machine.travel(waiting_order.payment_expires_at + timedelta(days=30)):
        assert orders_expire_unpaid() == 0
    assert Order.objects.get(pk=waiting_order.pk).status == OrderStatus.PENDING_PAYMENT
