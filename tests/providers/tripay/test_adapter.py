"""TripayAdapter against recorded Tripay replies (the `responses` library)."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
import responses

from providers.base import (
    FinalProviderError,
    NotConfigured,
    PaymentChannel,
    PaymentItem,
    PaymentRequest,
    TransientProviderError,
)
from providers.http import ProviderHttp
from providers.models import ProviderCall
from providers.tripay.adapter import TripayAdapter
from providers.tripay.client import TripayClient

BASE = "https://tripay.co.id/api-sandbox"
API_KEY = "DEV-test-api-key"
# The key, merchant code, ref and amount of Tripay's documented signature example.
PRIVATE_KEY = "ytf6ooi2gmlNPfpchd94jDOk8hRWOu"
MERCHANT_CODE = "T0001"
DOC_SIGNATURE = "9f167eba844d1fcb369404e2bda53702e2f78f7aa12e91da6715414e65b8c86a"
CREATE_URL = f"{BASE}/transaction/create"
CHANNELS_URL = f"{BASE}/merchant/payment-channel"
EXPIRES = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tripay(settings):
    settings.TRIPAY_API_KEY = API_KEY
    settings.TRIPAY_PRIVATE_KEY = PRIVATE_KEY
    settings.TRIPAY_MERCHANT_CODE = MERCHANT_CODE
    settings.TRIPAY_BASE_URL = BASE
    return TripayAdapter.from_settings()


@pytest.fixture
def no_backoff_tripay():
    """The adapter with retries that do not sleep (channel reads retry on 5xx)."""
    http = ProviderHttp("tripay", sleep=lambda seconds: None)
    return TripayAdapter(
        base_url=BASE,
        api_key=API_KEY,
        private_key=PRIVATE_KEY,
        merchant_code=MERCHANT_CODE,
        client=TripayClient(base_url=BASE, api_key=API_KEY, http=http),
    )


def payment_request(**overrides) -> PaymentRequest:
    values = {
        "merchant_ref": "INV55567",
        "amount": Decimal("1500000.00"),
        "method": "BRIVA",
        "customer_name": "Budi Santoso",
        "customer_email": "budi@example.com",
        "customer_phone": "081234567890",
        "items": [
            PaymentItem(sku="ML86", name="86 Diamonds", price=Decimal("1000000"), quantity=1),
            PaymentItem(sku="ML12", name="12 Diamonds", price=Decimal("250000"), quantity=2),
        ],
        "return_url": "https://shop.example/orders/INV55567",
        "callback_url": "https://shop.example/webhooks/tripay",
        "expires_at": EXPIRES,
    }
    return PaymentRequest(**{**values, **overrides})


# Tripay's documented create reply (BRIVA).
CREATE_REPLY = {
    "success": True,
    "message": "",
    "data": {
        "reference": "T0001000000000000006",
        "merchant_ref": "INV55567",
        "payment_selection_type": "static",
        "payment_method": "BRIVA",
        "payment_name": "BRI Virtual Account",
        "amount": 1500000,
        "fee_merchant": 1500,
        "fee_customer": 0,
        "total_fee": 1500,
        "amount_received": 1498500,
        "pay_code": "57585748548596587",
        "pay_url": None,
        "checkout_url": "https://tripay.co.id/checkout/T0001000000000000006",
        "status": "UNPAID",
        "expired_time": 1582855837,
        "instructions": [
            {"title": "Internet Banking", "steps": ["Login", "Pay 57585748548596587"]}
        ],
        "qr_string": None,
        "qr_url": None,
    },
}


@responses.activate
def test_create_sends_the_documented_request(tripay):
    responses.post(CREATE_URL, json=CREATE_REPLY)

    tripay.create_payment(payment_request())

    assert len(responses.calls) == 1
    sent = responses.calls[0].request
    assert sent.url == CREATE_URL
    assert sent.method == "POST"
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["X-REQUEST-ID"]
    assert json.loads(sent.body) == {
        "method": "BRIVA",
        "merchant_ref": "INV55567",
        "amount": 1500000,
        "customer_name": "Budi Santoso",
        "customer_email": "budi@example.com",
        "customer_phone": "081234567890",
        "order_items": [
            {"sku": "ML86", "name": "86 Diamonds", "price": 1000000, "quantity": 1},
            {"sku": "ML12", "name": "12 Diamonds", "price": 250000, "quantity": 2},
        ],
        "return_url": "https://shop.example/orders/INV55567",
        "callback_url": "https://shop.example/webhooks/tripay",
        "expired_time": int(EXPIRES.timestamp()),
        # hex HMAC-SHA256(private key, "T0001" + "INV55567" + "1500000"), Tripay's own example
        "signature": DOC_SIGNATURE,
    }


@responses.activate
def test_create_maps_the_reply(tripay):
    responses.post(CREATE_URL, json=CREATE_REPLY)

    instructions = tripay.create_payment(payment_request())

    assert instructions.reference == "T0001000000000000006"
    assert instructions.checkout_url == "https://tripay.co.id/checkout/T0001000000000000006"
    assert instructions.pay_code == "57585748548596587"
    assert instructions.qr_url == ""
    assert instructions.qr_string == ""
    assert instructions.instructions == CREATE_REPLY["data"]["instructions"]
    assert instructions.status == "UNPAID"
    assert instructions.expires_at == datetime(2020, 2, 28, 2, 10, 37, tzinfo=UTC)
    assert instructions.raw == CREATE_REPLY["data"]


@responses.activate
def test_create_maps_a_qris_reply(tripay):
    data = {
        **CREATE_REPLY["data"],
        "payment_method": "QRIS",
        "pay_code": None,
        "qr_string": "00020101021226...6304ABCD",
        "qr_url": "https://tripay.co.id/qr/T0001000000000000006",
    }
    responses.post(CREATE_URL, json={**CREATE_REPLY, "data": data})

    instructions = tripay.create_payment(payment_request(method="QRIS"))

    assert instructions.pay_code == ""
    assert instructions.qr_string == "00020101021226...6304ABCD"
    assert instructions.qr_url == "https://tripay.co.id/qr/T0001000000000000006"


@responses.activate
def test_create_leaves_out_empty_optional_fields_and_defaults_one_item(tripay):
    responses.post(CREATE_URL, json=CREATE_REPLY)

    tripay.create_payment(
        payment_request(
            items=[], customer_phone="", return_url="", callback_url="", expires_at=None
        )
    )

    body = json.loads(responses.calls[0].request.body)
    for absent in ("customer_phone", "return_url", "callback_url", "expired_time"):
        assert absent not in body
    assert body["order_items"] == [
        {"sku": "INV55567", "name": "INV55567", "price": 1500000, "quantity": 1}
    ]
    assert body["signature"] == DOC_SIGNATURE


def test_create_refuses_a_fraction_of_a_rupiah(tripay):
    with responses.RequestsMock() as mock:  # fails if any request were sent
        with pytest.raises(FinalProviderError, match="whole rupiah") as refused:
            tripay.create_payment(payment_request(amount=Decimal("1500000.50")))
        assert len(mock.calls) == 0
    assert refused.value.code == "invalid_amount"  # a ProviderError: the checkout says so


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "Invalid API Key"),
        (400, "Invalid signature"),
        (400, "Payment channel is not enabled"),
        (200, "Merchant is not active"),
    ],
)
@responses.activate
def test_create_refusals_are_final_with_tripays_message(tripay, status, message):
    responses.post(CREATE_URL, status=status, json={"success": False, "message": message})

    with pytest.raises(FinalProviderError) as error:
        tripay.create_payment(payment_request())

    assert error.value.message == message
    assert error.value.raw == {"success": False, "message": message}


@pytest.mark.parametrize("status", [500, 502, 503, 429])
@responses.activate
def test_create_5xx_and_429_are_transient_and_never_retried(tripay, status):
    responses.post(CREATE_URL, status=status, json={"success": False, "message": "oops"})

    with pytest.raises(TransientProviderError):
        tripay.create_payment(payment_request())

    assert len(responses.calls) == 1  # no idempotency at Tripay: a retry could bill twice


@pytest.mark.parametrize("failure", [requests.ReadTimeout("slow"), requests.ConnectionError("x")])
@responses.activate
def test_create_timeout_and_connection_error_are_transient_and_never_retried(tripay, failure):
    responses.post(CREATE_URL, body=failure)

    with pytest.raises(TransientProviderError):
        tripay.create_payment(payment_request())

    assert len(responses.calls) == 1


@responses.activate
def test_create_malformed_json_is_transient(tripay):
    responses.post(CREATE_URL, body=b'{"success": true, "data": {', content_type="application/json")

    with pytest.raises(TransientProviderError):
        tripay.create_payment(payment_request())


@responses.activate
def test_create_success_without_reference_is_transient(tripay):
    responses.post(CREATE_URL, json={"success": True, "message": "", "data": {}})

    with pytest.raises(TransientProviderError):
        tripay.create_payment(payment_request())


@responses.activate
def test_create_is_logged_with_request_id_and_without_secrets(tripay):
    responses.post(CREATE_URL, json=CREATE_REPLY)

    tripay.create_payment(payment_request())

    call = ProviderCall.objects.get()
    assert call.provider == "tripay"
    assert call.endpoint == "transaction/create"
    assert call.reference == "INV55567"
    assert call.http_status == 200
    assert call.request_id == responses.calls[0].request.headers["X-REQUEST-ID"]
    logged = call.request_body + call.response_body
    for secret in (DOC_SIGNATURE, PRIVATE_KEY, API_KEY):
        assert secret not in logged
    assert json.loads(call.request_body)["merchant_ref"] == "INV55567"


# Tripay's documented payment-channel reply (two channels; percent as number and as string).
CHANNELS_REPLY = {
    "success": True,
    "message": "Success",
    "data": [
        {
            "group": "Virtual Account",
            "code": "BRIVA",
            "name": "BRI Virtual Account",
            "type": "direct",
            "fee_merchant": {"flat": 4250, "percent": 0},
            "fee_customer": {"flat": 0, "percent": 0},
            "total_fee": {"flat": 4250, "percent": "0.00"},
            "minimum_fee": 4000,
            "maximum_fee": 4500,
            "icon_url": "https://tripay.co.id/images/payment-channel/briva.png",
            "active": True,
        },
        {
            "group": "E-Wallet",
            "code": "QRIS",
            "name": "QRIS",
            "type": "direct",
            "fee_merchant": {"flat": 750, "percent": 0.7},
            "fee_customer": {"flat": 0, "percent": 0},
            "total_fee": {"flat": 750, "percent": "0.70"},
            "icon_url": "https://tripay.co.id/images/payment-channel/qris.png",
            "active": False,
        },
    ],
}


@responses.activate
def test_payment_channels_are_mapped(tripay):
    responses.get(CHANNELS_URL, json=CHANNELS_REPLY)

    channels = tripay.payment_channels()

    assert channels == [
        PaymentChannel(
            code="BRIVA",
            name="BRI Virtual Account",
            group="Virtual Account",
            fee_flat=Decimal("4250"),
            fee_percent=Decimal("0.00"),
            icon_url="https://tripay.co.id/images/payment-channel/briva.png",
            active=True,
        ),
        PaymentChannel(
            code="QRIS",
            name="QRIS",
            group="E-Wallet",
            fee_flat=Decimal("750"),
            fee_percent=Decimal("0.70"),
            icon_url="https://tripay.co.id/images/payment-channel/qris.png",
            active=False,
        ),
    ]
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert ProviderCall.objects.get().endpoint == "merchant/payment-channel"


@responses.activate
def test_payment_channels_are_cached(tripay):
    responses.get(CHANNELS_URL, json=CHANNELS_REPLY)

    first = tripay.payment_channels()
    second = TripayAdapter.from_settings().payment_channels()

    assert first == second
    assert len(responses.calls) == 1


@responses.activate
def test_payment_channels_cache_is_per_api_key(tripay, settings):
    responses.get(CHANNELS_URL, json=CHANNELS_REPLY)
    tripay.payment_channels()
    settings.TRIPAY_API_KEY = "another-merchant"

    TripayAdapter.from_settings().payment_channels()

    assert len(responses.calls) == 2


@responses.activate
def test_payment_channels_refused_is_final(tripay):
    responses.get(CHANNELS_URL, status=401, json={"success": False, "message": "Invalid API Key"})

    with pytest.raises(FinalProviderError, match="Invalid API Key"):
        tripay.payment_channels()


@responses.activate
def test_payment_channels_5xx_is_retried_then_transient(no_backoff_tripay):
    responses.get(CHANNELS_URL, status=503, body="Service Unavailable")

    with pytest.raises(TransientProviderError):
        no_backoff_tripay.payment_channels()

    assert len(responses.calls) == 3  # a read: safe to retry


@responses.activate
def test_payment_channels_recover_after_one_5xx(no_backoff_tripay):
    responses.get(CHANNELS_URL, status=502, body="Bad Gateway")
    responses.get(CHANNELS_URL, json=CHANNELS_REPLY)

    assert [channel.code for channel in no_backoff_tripay.payment_channels()] == ["BRIVA", "QRIS"]


@pytest.mark.parametrize(
    "reply",
    [
        {"success": True, "message": "Success"},
        {"success": True, "data": {"code": "BRIVA"}},
        {"success": True, "data": [{"name": "no code"}]},
    ],
)
@responses.activate
def test_malformed_channel_list_is_transient_and_not_cached(tripay, reply):
    responses.get(CHANNELS_URL, json=reply)
    responses.get(CHANNELS_URL, json=CHANNELS_REPLY)

    with pytest.raises(TransientProviderError):
        tripay.payment_channels()

    assert len(tripay.payment_channels()) == 2


def test_from_settings_names_missing_credentials(settings):
    settings.TRIPAY_API_KEY = ""
    settings.TRIPAY_MERCHANT_CODE = ""

    with pytest.raises(NotConfigured) as error:
        TripayAdapter.from_settings()

    assert "TRIPAY_API_KEY" in error.value.message
    assert "TRIPAY_MERCHANT_CODE" in error.value.message


@pytest.mark.parametrize(
    ("simulators", "configured", "expected"),
    [
        (False, "", "https://tripay.co.id/api"),
        (True, "", "http://shop.test/sim/tripay/api"),
        (False, "https://tripay.co.id/api-sandbox/", "https://tripay.co.id/api-sandbox"),
    ],
)
def test_base_url(settings, simulators, configured, expected):
    settings.SIMULATORS_ENABLED = simulators
    settings.SITE_URL = "http://shop.test"
    settings.TRIPAY_BASE_URL = configured
    settings.TRIPAY_API_KEY = settings.TRIPAY_PRIVATE_KEY = settings.TRIPAY_MERCHANT_CODE = "x"

    assert TripayAdapter.from_settings().base_url == expected
