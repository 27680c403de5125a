import json
from decimal import Decimal

import pytest

from catalog.models import InputSchema
from orders.models import OrderStatus, PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus
from providers.digiflazz.webhook import sign_callback
from tests.catalog.factories import (
    BrandFactory,
    PricingRuleFactory,
    ProductFactory,
    ProviderFactory,
)
from tests.orders.fixtures import balance_of, fund
from wallets.selectors import ledger_check
from webhooks.models import DeliveryOutcome, WebhookDelivery

URL = "/api/webhooks/digiflazz"
SECRET = "digiflazz-test-secret"

pytestmark = pytest.mark.django_db


@pytest.fixture
def processing_order(settings, reseller):
    settings.DIGIFLAZZ_WEBHOOK_SECRET = SECRET
    product = ProductFactory(
        provider=ProviderFactory(code="digiflazz"),
        brand=BrandFactory(input_schema=InputSchema.PHONE),
        provider_sku="xld10",
    )
    PricingRuleFactory(tier="reseller", percent=Decimal("2"))
    fund(reseller, Decimal("50000"))
    order = order_create(
        purchase=Purchase(
            product=product,
            user=reseller,
            customer_data={"phone": "087800001233"},
            payment_method=PaymentMethod.BALANCE,
        )
    )
    order = order_pay_with_balance(order=order)
    return order_apply_provider_update(
        order=order, result=ProviderResult(status=ProviderStatus.PENDING, rc="03")
    )


def callback_body(order, status="Sukses", rc="00", sn="SN-12345") -> bytes:
    data = {
        "ref_id": order.code,
        "customer_no": order.customer_no,
        "buyer_sku_code": "xld10",
        "message": "Transaksi Sukses" if status == "Sukses" else "Transaksi Gagal",
        "status": status,
        "rc": rc,
        "buyer_last_saldo": 100000,
        "sn": sn,
        "price": 10000,
        "tele": "",
        "wa": "",
    }
    return json.dumps({"data": data}).encode()


def deliver(client, body: bytes, *, secret=SECRET, event="update", signature=None):
    headers = {
        "HTTP_X_DIGIFLAZZ_EVENT": event,
        "HTTP_X_HUB_SIGNATURE": signature if signature is not None else sign_callback(secret, body),
        "HTTP_X_DIGIFLAZZ_DELIVERY": "0b9d6e0c-0000-4000-8000-000000000000",
        "HTTP_USER_AGENT": "Digiflazz-Hookshot",
    }
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_a_success_callback_delivers_the_order(client, processing_order):
    response = deliver(client, callback_body(processing_order))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    processing_order.refresh_from_db()
    assert processing_order.status == OrderStatus.SUCCESS
    assert list(processing_order.vouchers.values_list("serial", flat=True)) == ["SN-12345"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.order, delivery.signature_valid) == (
        DeliveryOutcome.PROCESSED,
        processing_order,
        True,
    )
    assert delivery.headers["X-Hub-Signature"] == "[masked]"


def test_a_repeated_callback_changes_nothing(client, processing_order):
    body = callback_body(processing_order)
    deliver(client, body)

    response = deliver(client, body)

    assert response.status_code == 200
    assert processing_order.vouchers.count() == 1
    assert WebhookDelivery.objects.latest("pk").outcome == DeliveryOutcome.DUPLICATE


def test_a_failure_callback_refunds_the_wallet(client, processing_order, reseller):
    deliver(client, callback_body(processing_order, status="Gagal", rc="02", sn=""))

    processing_order.refresh_from_db()
    assert processing_order.status == OrderStatus.REFUNDED
    assert balance_of(reseller) == Decimal("50000")
    assert ledger_check().ok


def test_a_ping_is_answered(client, settings):
    settings.DIGIFLAZZ_WEBHOOK_SECRET = SECRET
    body = json.dumps({"zen": "Keep it simple", "hook_id": "1"}).encode()

    response = deliver(client, body, event="ping")

    assert response.status_code == 200


def test_an_unknown_reference_is_acknowledged_and_recorded(client, processing_order):
    body = callback_body(processing_order).replace(processing_order.code.encode(), b"TRX-NOPE")

    response = deliver(client, body)

    assert response.status_code == 200
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.UNMATCHED
    processing_order.refresh_from_db()
    assert processing_order.status == OrderStatus.PROCESSING


@pytest.mark.parametrize(
    "signature",
    ["", "sha1=", "garbage", "sha1=" + "0" * 40, "sha1=" + "0" * 12, "sha256=abc"],
    ids=["empty", "bare prefix", "garbage", "zeros", "wrong length", "wrong algorithm"],
)
def test_bad_signatures_change_nothing(client, processing_order, signature):
    response = deliver(client, callback_body(processing_order), signature=signature)

    assert response.status_code == 401
    processing_order.refresh_from_db()
    assert processing_order.status == OrderStatus.PROCESSING


def test_the_signature_covers_the_raw_bytes(client, processing_order):
    body = callback_body(processing_order)
    respaced = json.dumps(json.loads(body), indent=2).encode()
    flipped = body.replace(b"SN-12345", b"SN-12346")

    for tampered in (respaced, flipped):
        response = deliver(client, tampered, signature=sign_callback(SECRET, body))
        assert response.status_code == 401
    wrong_secret = deliver(client, body, secret="other")

    assert wrong_secret.status_code == 401
    processing_order.refresh_from_db()
    assert processing_order.status == OrderStatus.PROCESSING


def test_wrong_types_and_malformed_json_are_refused(client, processing_order):
    wrong = json.dumps({"data": {"ref_id": processing_order.code, "status": 7}}).encode()
    malformed = b'{"data": {'

    assert deliver(client, wrong).status_code == 422
    assert deliver(client, malformed).status_code == 400
    processing_order.refresh_from_db()
    assert processing_order.status == OrderStatus.PROCESSING


def test_without_a_secret_every_callback_is_refused(client, processing_order, settings):
    settings.DIGIFLAZZ_WEBHOOK_SECRET = ""

    response = deliver(client, callback_body(processing_order), secret="anything")

    assert response.status_code == 503
