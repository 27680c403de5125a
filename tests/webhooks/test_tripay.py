import json
from decimal import Decimal

import pytest

from orders.models import OrderStatus
from providers.tripay.webhook import sign_callback
from tests.orders.fixtures import PRICE, balance_of
from wallets.models import DepositMethod, DepositStatus, Transfer
from wallets.selectors import ledger_check
from wallets.services import deposit_create, deposit_gateway_reference
from webhooks.models import DeliveryOutcome, WebhookDelivery

URL = "/api/webhooks/tripay"
KEY = "tripay-test-private-key"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tripay_key(settings):
    settings.TRIPAY_PRIVATE_KEY = KEY


def payment_body(merchant_ref: str, *, status="PAID", total=PRICE, received=None) -> bytes:
    return json.dumps(
        {
            "reference": "T0001000000001",
            "merchant_ref": merchant_ref,
            "payment_method": "BRI Virtual Account",
            "payment_method_code": "BRIVA",
            "total_amount": int(total),
            "fee_merchant": 0,
            "fee_customer": 0,
            "total_fee": 0,
            "amount_received": int(received if received is not None else total),
            "is_closed_payment": 1,
            "status": status,
            "paid_at": 1767225600 if status == "PAID" else None,
            "note": None,
        }
    ).encode()


def deliver(client, body: bytes, *, key=KEY, signature=None, event="payment_status", **extra):
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_CALLBACK_SIGNATURE=signature if signature is not None else sign_callback(key, body),
        HTTP_X_CALLBACK_EVENT=event,
        **extra,
    )


def test_a_payment_of_the_price_marks_the_order_paid_once(client, guest_order):
    body = payment_body(guest_order.code)

    first = deliver(client, body)
    second = deliver(client, body)

    assert (first.status_code, first.json()) == (200, {"success": True})
    assert (second.status_code, second.json()) == (200, {"success": True})
    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.PAID
    assert guest_order.gateway_reference == "T0001000000001"
    assert Transfer.objects.filter(reference=guest_order.code).count() == 1
    outcomes = list(WebhookDelivery.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == [DeliveryOutcome.PROCESSED, DeliveryOutcome.DUPLICATE]
    assert ledger_check().ok


def test_a_payment_net_of_the_gateway_fee_also_matches(client, guest_order):
    deliver(client, payment_body(guest_order.code, total=PRICE + 4250, received=PRICE))

    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.PAID


def test_a_payment_of_another_amount_needs_review(client, guest_order):
    deliver(client, payment_body(guest_order.code, total=Decimal("1000")))

    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.NEEDS_REVIEW


@pytest.mark.parametrize(
    ("status", "closed"), [("EXPIRED", OrderStatus.EXPIRED), ("FAILED", OrderStatus.CANCELLED)]
)
def test_expired_and_failed_payments_close_the_order(client, guest_order, status, closed):
    response = deliver(client, payment_body(guest_order.code, status=status))

    assert response.json() == {"success": True}
    guest_order.refresh_from_db()
    assert guest_order.status == closed


def test_a_deposit_payment_credits_the_wallet_once(client, customer):
    deposit = deposit_create(user=customer, amount=Decimal("50000"), method=DepositMethod.GATEWAY)
    body = payment_body(deposit_gateway_reference(deposit), total=Decimal("50000"))

    deliver(client, body)
    deliver(client, body)

    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.CREDITED
    assert balance_of(customer) == Decimal("50000")
    outcomes = list(WebhookDelivery.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == [DeliveryOutcome.PROCESSED, DeliveryOutcome.DUPLICATE]
    assert ledger_check().ok


def test_an_unknown_reference_is_acknowledged_and_recorded(client, db):
    response = deliver(client, payment_body("TRX-20260101-NOPE00"))

    assert response.json() == {"success": True}
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.UNMATCHED


@pytest.mark.parametrize(
    "signature", ["", "garbage", "0" * 64, "0" * 10], ids=["empty", "garbage", "zeros", "short"]
)
def test_bad_signatures_change_nothing(client, guest_order, signature):
    response = deliver(client, payment_body(guest_order.code), signature=signature)

    assert response.status_code == 401
    assert response.json()["success"] is False
    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.PENDING_PAYMENT


def test_the_signature_covers_the_raw_bytes(client, guest_order):
    body = payment_body(guest_order.code)
    respaced = json.dumps(json.loads(body), indent=1).encode()

    assert deliver(client, respaced, signature=sign_callback(KEY, body)).status_code == 401
    assert deliver(client, body, key="other-key").status_code == 401
    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.PENDING_PAYMENT


def test_wrong_event_types_and_json_are_refused(client, guest_order):
    wrong_types = json.dumps({"reference": 1, "merchant_ref": guest_order.code}).encode()

    assert deliver(client, payment_body(guest_order.code), event="refund").status_code == 400
    assert deliver(client, wrong_types).status_code == 422
    assert deliver(client, b"[1, 2").status_code == 400
    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.PENDING_PAYMENT


def test_without_a_key_every_callback_is_refused(client, guest_order, settings):
    settings.TRIPAY_PRIVATE_KEY = ""

    assert deliver(client, payment_body(guest_order.code), key="x").status_code == 503


def test_customer_balances_are_untouched_by_a_guest_payment(client, guest_order, customer):
    deliver(client, payment_body(guest_order.code))

    assert balance_of(customer) == Decimal("0")


@pytest.mark.parametrize(
    "extra",
    [{"no\u0000te": "x"}, {"note": "a\u0000b"}, {"extra": {"k\u0000": ["\u0000"]}}],
    ids=["nul-in-a-key", "nul-in-a-value", "nul-nested"],
)
def test_a_signed_callback_with_a_nul_is_refused_and_changes_nothing(client, guest_order, extra):
    payload = {**json.loads(payment_body(guest_order.code)), **extra}
    body = json.dumps(payload).encode()

    response = deliver(client, body)

    assert response.status_code in (400, 422), response.content
    assert response.json()["success"] is False
    guest_order.refresh_from_db()
    assert guest_order.status == OrderStatus.PENDING_PAYMENT
    assert WebhookDelivery.objects.count() == 1
    assert ledger_check().ok
