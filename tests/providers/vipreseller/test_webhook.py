"""VIP Reseller's callback: `X-Client-Signature` = md5(API ID + API KEY) verified, and the
body only a prompt (the order moves on VIP's answer to a status check, never on the body)."""

import hashlib
import json
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses

from catalog.models import InputSchema
from orders.models import OrderStatus, PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus
from providers.vipreseller.webhook import parse_callback_body, verify_callback
from shop.models import Notification
from tests.catalog.factories import (
    BrandFactory,
    PricingRuleFactory,
    ProductFactory,
    ProviderFactory,
)
from tests.orders.fixtures import balance_of, fund
from webhooks.models import DeliveryOutcome, WebhookDelivery

URL = "/api/webhooks/vipreseller"
API_ID, API_KEY = "cb-id", "cb-key"
SIGNATURE = hashlib.md5(b"cb-idcb-key", usedforsecurity=False).hexdigest()
VIP = "https://vip.test/api"
TRXID = "VIPABC123"

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("api_id", "api_key", "header", "valid"),
    [
        (API_ID, API_KEY, SIGNATURE, True),
        (API_ID, API_KEY, SIGNATURE.upper(), True),
        (API_ID, API_KEY, f" {SIGNATURE} ", True),
        (API_ID, "other", SIGNATURE, False),
        (API_KEY, API_ID, SIGNATURE, False),
        (API_ID, API_KEY, "", False),
        (API_ID, API_KEY, None, False),
        ("", "", hashlib.md5(b"", usedforsecurity=False).hexdigest(), False),
    ],
)
def test_verify_callback(api_id, api_key, header, valid):
    assert verify_callback(api_id, api_key, header) is valid


def test_parse_reads_the_trxid_and_claimed_status_wrapped_or_not():
    wrapped = json.dumps({"data": {"trxid": TRXID, "status": "Success"}}).encode()
    flat = json.dumps({"trxid": TRXID, "status": "error"}).encode()
    assert parse_callback_body(wrapped).trxid == TRXID
    assert parse_callback_body(wrapped).status == "success"
    assert parse_callback_body(flat).status == "error"
    for bad in (b"[]", b'{"data": "x"}', b'{"data": {"status": "success"}}'):
        with pytest.raises(ValueError, match="VIP Reseller callback"):
            parse_callback_body(bad)


@pytest.fixture
def vip_settings(settings):
    settings.VIPRESELLER_API_ID = API_ID
    settings.VIPRESELLER_API_KEY = API_KEY
    settings.VIPRESELLER_BASE_URL = VIP
    settings.WEBHOOK_UNVERIFIED_PER_MINUTE = 0
    return settings


@pytest.fixture
def processing_order(vip_settings, reseller):
    product = ProductFactory(
        provider=ProviderFactory(code="vipreseller"),
        brand=BrandFactory(input_schema=InputSchema.GAME_WITH_ZONE),
        provider_sku="MLA86-S1",
    )
    PricingRuleFactory(tier="reseller", percent=Decimal("2"))
    fund(reseller, Decimal("100000"))
    order = order_create(
        purchase=Purchase(
            product=product,
            user=reseller,
            customer_data={"user_id": "12345678", "zone_id": "2685"},
            payment_method=PaymentMethod.BALANCE,
        )
    )
    order = order_pay_with_balance(order=order)
    return order_apply_provider_update(
        order=order,
        result=ProviderResult(ProviderStatus.PENDING, provider_order_id=TRXID, rc="waiting"),
    )


def post(client, payload: dict, *, signature: str | None = SIGNATURE):
    extra = {"HTTP_X_CLIENT_SIGNATURE": signature} if signature is not None else {}
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **extra)


def vip_status(status: str, note: str = "") -> dict:
    item = {"trxid": TRXID, "data": "12345678", "zone": "2685", "status": status, "note": note}
    return {"result": True, "data": [item], "message": "Detail transaksi berhasil didapatkan."}


@pytest.mark.parametrize("signature", [None, "0" * 32, "not-a-signature"])
def test_an_unsigned_or_wrongly_signed_callback_is_refused(client, processing_order, signature):
    response = post(client, {"data": {"trxid": TRXID, "status": "error"}}, signature=signature)

    assert response.status_code == 401
    assert response.json()["result"] is False
    processing_order.refresh_from_db()
    assert processing_order.status == OrderStatus.PROCESSING
    assert WebhookDelivery.objects.get().signature_valid is False


def test_without_credentials_every_callback_is_refused(client, vip_settings):
    vip_settings.VIPRESELLER_API_ID = ""
    response = post(client, {"data": {"trxid": TRXID}})
    assert response.status_code == 503


@responses.activate
def test_a_forged_error_body_asks_vip_and_vip_says_processing_so_nothing_moves(
    client, processing_order, reseller, django_capture_on_commit_callbacks
):
    responses.post(f"{VIP}/game-feature", json=vip_status("processing"))
    before = balance_of(reseller)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, {"data": {"trxid": TRXID, "status": "error"}})

    assert response.status_code == 200
    assert response.json() == {"result": True, "message": "ok"}
    sent = {key: values[0] for key, values in parse_qs(responses.calls[0].request.body).items()}
    assert (sent["type"], sent["trxid"]) == ("status", TRXID)
    processing_order.refresh_from_db()
    assert processing_order.status == OrderStatus.PROCESSING  # VIP's word, not the body's
    assert balance_of(reseller) == before  # nothing refunded
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.order_id) == (DeliveryOutcome.PROCESSED, processing_order.pk)


@responses.activate
def test_vips_answer_settles_the_order(
    client, processing_order, django_capture_on_commit_callbacks
):
    responses.post(f"{VIP}/game-feature", json=vip_status("success", note="1234567890123456"))

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, {"data": {"trxid": TRXID, "status": "success"}})

    assert response.status_code == 200
    processing_order.refresh_from_db()
    assert processing_order.status == OrderStatus.SUCCESS
    assert processing_order.vouchers.get().serial == "1234567890123456"


def test_a_callback_for_an_unknown_trxid_is_acknowledged_and_staff_told(client, vip_settings):
    response = post(client, {"data": {"trxid": "VIP-NOT-OURS", "status": "success"}})

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.UNMATCHED
    assert delivery.reference == "VIP-NOT-OURS"
    assert Notification.objects.filter(title__contains="VIP-NOT-OURS").count() == 1


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"data": {"status": "success"}}', b'{"data": []}']
)
def test_a_malformed_body_is_a_4xx(client, vip_settings, body):
    response = client.post(
        URL, data=body, content_type="application/json", HTTP_X_CLIENT_SIGNATURE=SIGNATURE
    )
    assert response.status_code in (400, 422)
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.REJECTED
