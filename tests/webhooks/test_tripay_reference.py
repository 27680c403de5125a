"""A Tripay callback is matched against the gateway reference stored on the order or deposit:
a signed report for another reference (another transaction with the same merchant_ref) pays
nothing and overwrites nothing, is recorded and told to staff, and Tripay is answered so it
stops sending it. And the optional source-address allow-list (TRIPAY_CALLBACK_IPS)."""

from decimal import Decimal

import pytest

from orders.models import Order, OrderStatus
from shop.models import Notification
from tests.orders.fixtures import balance_of
from tests.webhooks.test_tripay import deliver, payment_body
from wallets.models import Deposit, DepositMethod, DepositStatus, Transfer
from wallets.selectors import ledger_check
from wallets.services import deposit_create, deposit_gateway_reference
from webhooks.models import DeliveryOutcome, WebhookDelivery

pytestmark = pytest.mark.django_db

STORED = "T0001000000000000777"  # the payment the shop created and showed the buyer
OTHER = "T0001000000001"  # payment_body's reference: another transaction


@pytest.fixture(autouse=True)
def tripay_key(settings):
    settings.TRIPAY_PRIVATE_KEY = "tripay-test-private-key"


@pytest.fixture
def order(guest_order) -> Order:
    Order.objects.filter(pk=guest_order.pk).update(gateway_reference=STORED)
    guest_order.refresh_from_db()
    return guest_order


@pytest.fixture
def deposit(customer) -> Deposit:
    deposit = deposit_create(user=customer, amount=Decimal("50000"), method=DepositMethod.GATEWAY)
    Deposit.objects.filter(pk=deposit.pk).update(gateway_reference=STORED)
    deposit.refresh_from_db()
    return deposit


def staff_notices() -> list[str]:
    return list(Notification.objects.filter(user=None).values_list("title", flat=True))


def test_a_paid_report_for_another_reference_pays_nothing_and_overwrites_nothing(client, order):
    reply = deliver(client, payment_body(order.code))

    assert reply.status_code == 200
    assert reply.json() == {
        "success": True,
        "code": "REFERENCE_MISMATCH",
        "message": f"Gateway reference {OTHER} (PAID) is not {order.code}'s payment {STORED}: "
        "nothing was applied.",
    }
    order.refresh_from_db()
    assert (order.status, order.gateway_reference, order.amount_received) == (
        OrderStatus.PENDING_PAYMENT,
        STORED,
        None,
    )
    assert not Transfer.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.order_id) == (DeliveryOutcome.WRONG_REFERENCE, order.pk)
    assert staff_notices() == [f"Gateway PAID for {order.code} under another reference ({OTHER})"]


def test_an_expiry_for_another_reference_does_not_close_the_order(client, order):
    deliver(client, payment_body(order.code, status="EXPIRED"))

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.WRONG_REFERENCE


def test_the_stored_reference_pays_and_another_cannot_take_its_place_afterwards(client, order):
    paid = payment_body(order.code).replace(OTHER.encode(), STORED.encode())
    deliver(client, paid)
    deliver(client, payment_body(order.code))

    order.refresh_from_db()
    assert (order.status, order.gateway_reference) == (OrderStatus.PAID, STORED)
    assert Transfer.objects.filter(reference=order.code).count() == 1
    outcomes = list(WebhookDelivery.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == [DeliveryOutcome.PROCESSED, DeliveryOutcome.WRONG_REFERENCE]
    assert ledger_check().ok


def test_a_deposit_is_not_credited_by_another_reference(client, deposit, customer):
    reply = deliver(client, payment_body(deposit_gateway_reference(deposit), total=50000))

    assert reply.json()["code"] == "REFERENCE_MISMATCH"
    deposit.refresh_from_db()
    assert (deposit.status, deposit.gateway_reference) == (DepositStatus.PENDING, STORED)
    assert balance_of(customer) == 0
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.WRONG_REFERENCE
    assert staff_notices() == [
        f"Gateway PAID for {deposit_gateway_reference(deposit)} under another reference ({OTHER})"
    ]


def test_the_allow_list_refuses_other_addresses(client, order, settings):
    settings.TRIPAY_CALLBACK_IPS = ["203.0.113.0/24"]
    body = payment_body(order.code).replace(OTHER.encode(), STORED.encode())

    refused = deliver(client, body, REMOTE_ADDR="198.51.100.7")

    assert refused.status_code == 403
    assert refused.json() == {
        "success": False,
        "code": "IP_NOT_ALLOWED",
        "message": "This address may not call this URL.",
    }
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.REJECTED

    accepted = deliver(client, body, REMOTE_ADDR="203.0.113.9")

    assert (accepted.status_code, accepted.json()) == (200, {"success": True})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
