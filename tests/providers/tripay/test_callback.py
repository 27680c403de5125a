"""TripayAdapter.parse_callback: signature on the raw bytes first, then event, then body."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from providers.base import InvalidSignature, PaymentStatus, ProviderError
from providers.tripay import webhook
from providers.tripay.adapter import TripayAdapter

PRIVATE_KEY = "test-private-key"

# Tripay's documented callback example, as PHP's json_encode writes it (compact).
DOC_CALLBACK = {
    "reference": "T0001000023000XXXXX",
    "merchant_ref": "INV123456",
    "payment_method": "BCA Virtual Account",
    "payment_method_code": "BCAVA",
    "total_amount": 200000,
    "fee_merchant": 2000,
    "fee_customer": 0,
    "total_fee": 2000,
    "amount_received": 198000,
    "is_closed_payment": 1,
    "status": "PAID",
    "paid_at": 1608133017,
    "note": None,
}


@pytest.fixture
def adapter():
    return TripayAdapter(
        base_url="https://tripay.co.id/api-sandbox",
        api_key="k",
        private_key=PRIVATE_KEY,
        merchant_code="T0001",
    )


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def signed_headers(body: bytes, *, event: str = "payment_status") -> dict:
    return {
        "X-Callback-Signature": webhook.sign_callback(PRIVATE_KEY, body),
        "X-Callback-Event": event,
    }


def test_valid_callback_is_parsed(adapter):
    body = encode(DOC_CALLBACK)
    callback = adapter.parse_callback(body=body, headers=signed_headers(body))
    assert callback.reference == "T0001000023000XXXXX"
    assert callback.merchant_ref == "INV123456"
    assert callback.status is PaymentStatus.PAID
    assert callback.total_amount == Decimal("200000")
    assert callback.amount_received == Decimal("198000")
    assert isinstance(callback.amount_received, Decimal)
    assert callback.payment_method == "BCAVA"
    assert callback.paid_at == datetime(2020, 12, 16, 15, 36, 57, tzinfo=UTC)
    assert callback.raw == DOC_CALLBACK


def test_header_names_are_case_insensitive(adapter):
    body = encode(DOC_CALLBACK)
    headers = {key.lower(): value for key, value in signed_headers(body).items()}
    assert adapter.parse_callback(body=body, headers=headers).status is PaymentStatus.PAID


@pytest.mark.parametrize(
    ("status", "paid_at", "expected_paid_at"),
    [
        ("EXPIRED", None, None),
        ("FAILED", None, None),
        ("REFUND", "1608133017", datetime(2020, 12, 16, 15, 36, 57, tzinfo=UTC)),
    ],
)
def test_other_statuses(adapter, status, paid_at, expected_paid_at):
    body = encode({**DOC_CALLBACK, "status": status, "paid_at": paid_at})
    callback = adapter.parse_callback(body=body, headers=signed_headers(body))
    assert callback.status == status
    assert callback.paid_at == expected_paid_at


def test_wrong_signature_is_refused(adapter):
    body = encode(DOC_CALLBACK)
    headers = {**signed_headers(body), "X-Callback-Signature": "0" * 64}
    with pytest.raises(InvalidSignature):
        adapter.parse_callback(body=body, headers=headers)


def test_missing_signature_is_refused(adapter):
    body = encode(DOC_CALLBACK)
    with pytest.raises(InvalidSignature):
        adapter.parse_callback(body=body, headers={"X-Callback-Event": "payment_status"})


def test_signature_of_another_key_is_refused(adapter):
    body = encode(DOC_CALLBACK)
    headers = {"X-Callback-Signature": webhook.sign_callback("other-key", body)}
    with pytest.raises(InvalidSignature):
        adapter.parse_callback(body=body, headers={**headers, "X-Callback-Event": "payment_status"})


def test_signature_is_checked_on_the_raw_bytes_not_reserialised_json(adapter):
    compact = encode(DOC_CALLBACK)
    spaced = json.dumps(DOC_CALLBACK).encode()  # same JSON, different bytes
    with pytest.raises(InvalidSignature):
        adapter.parse_callback(body=spaced, headers=signed_headers(compact))
    assert adapter.parse_callback(body=spaced, headers=signed_headers(spaced)).reference


def test_tampered_body_is_refused(adapter):
    body = encode(DOC_CALLBACK)
    tampered = encode({**DOC_CALLBACK, "amount_received": 9_999_999})
    with pytest.raises(InvalidSignature):
        adapter.parse_callback(body=tampered, headers=signed_headers(body))


@pytest.mark.parametrize("event", ["payment_status_x", "", "PAYMENT_STATUS"])
def test_wrong_event_is_refused(adapter, event):
    body = encode(DOC_CALLBACK)
    with pytest.raises(ProviderError) as error:
        adapter.parse_callback(body=body, headers=signed_headers(body, event=event))
    assert not isinstance(error.value, InvalidSignature)
    assert error.value.code == "wrong_event"


def test_missing_event_is_refused(adapter):
    body = encode(DOC_CALLBACK)
    headers = {"X-Callback-Signature": webhook.sign_callback(PRIVATE_KEY, body)}
    with pytest.raises(ProviderError, match="event"):
        adapter.parse_callback(body=body, headers=headers)


def test_signature_is_checked_before_the_body_is_parsed(adapter):
    garbage = b"not json at all"
    with pytest.raises(InvalidSignature):
        adapter.parse_callback(body=garbage, headers={"X-Callback-Event": "payment_status"})
    with pytest.raises(ProviderError) as error:
        adapter.parse_callback(body=garbage, headers=signed_headers(garbage))
    assert error.value.code == "invalid_payload"


@pytest.mark.parametrize(
    "payload",
    [
        {**DOC_CALLBACK, "status": "UNPAID"},
        {**DOC_CALLBACK, "status": "SETTLED"},
        {**DOC_CALLBACK, "reference": ""},
        {**DOC_CALLBACK, "amount_received": "lots"},
        {**DOC_CALLBACK, "paid_at": "yesterday"},
        ["not", "an", "object"],
    ],
)
def test_invalid_bodies_are_refused(adapter, payload):
    body = encode(payload)
    with pytest.raises(ProviderError) as error:
        adapter.parse_callback(body=body, headers=signed_headers(body))
    assert error.value.code == "invalid_payload"
