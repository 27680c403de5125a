"""The X-Verify signature, the callback parsers and the E-code table."""

import base64
import hashlib
import hmac
from decimal import Decimal

import pytest

from providers.base import ProviderStatus
from providers.hubble.errors import parse_error, place_order_status
from providers.hubble.webhook import (
    InvalidCallback,
    parse_brand_updated,
    parse_low_balance,
    parse_order_state,
    sign,
    verify,
)

BODY = b'{"id":"ord-1","status":"SUCCESS"}'


def test_sign_is_base64_hmac_sha256_of_the_raw_body():
    expected = base64.b64encode(hmac.new(b"hook-secret", BODY, hashlib.sha256).digest()).decode()
    assert sign("hook-secret", BODY) == expected
    # A known vector, computed independently (python -c with hmac/base64).
    assert sign("key", b"The quick brown fox jumps over the lazy dog") == (
        "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
    )


def test_verify_accepts_only_the_exact_body_and_secret():
    signature = sign("hook-secret", BODY)
    assert verify("hook-secret", BODY, signature)
    assert verify("hook-secret", BODY, f" {signature}\n")  # header whitespace
    assert not verify("hook-secret", BODY + b" ", signature)
    assert not verify("other-secret", BODY, signature)
    assert not verify("hook-secret", BODY, "")
    assert not verify("hook-secret", BODY, None)
    assert not verify("", BODY, sign("", BODY))  # an unset secret never verifies


def test_parse_order_state():
    parsed = parse_order_state(b'{"id": "ord-9", "status": "reversed"}')
    assert (parsed.order_id, parsed.status) == ("ord-9", "REVERSED")


def test_parse_brand_updated():
    parsed = parse_brand_updated(
        b'{"id": "amz", "denominationType": "FIXED", "status": "INACTIVE",'
        b' "denominations": [100, "500"], "amountRestrictions": {"minOrderAmount": 100}}'
    )
    assert parsed.brand_id == "amz"
    assert (parsed.denomination_type, parsed.status) == ("FIXED", "INACTIVE")
    assert parsed.denominations == [Decimal(100), Decimal(500)]
    assert parsed.amount_restrictions == {"minOrderAmount": 100}


def test_parse_low_balance():
    parsed = parse_low_balance(b'{"balance": 50.5, "threshold": 100}')
    assert (parsed.balance, parsed.threshold) == (Decimal("50.5"), Decimal(100))


@pytest.mark.parametrize(
    ("parser", "body"),
    [
        (parse_order_state, b"not json"),
        (parse_order_state, b"[1]"),
        (parse_order_state, b'{"status": "SUCCESS"}'),
        (parse_brand_updated, b'{"status": "ACTIVE"}'),
        (parse_low_balance, b'{"balance": "lots", "threshold": 1}'),
    ],
)
def test_parsers_refuse_bad_bodies(parser, body):
    with pytest.raises(InvalidCallback):
        parser(body)


@pytest.mark.parametrize(
    ("http_status", "error_id", "expected"),
    [
        (400, "E100", ProviderStatus.FAILED),
        (422, "E156", ProviderStatus.FAILED),
        (400, "E300", ProviderStatus.FAILED),
        (404, "E001", ProviderStatus.FAILED),
        (403, "", ProviderStatus.UNKNOWN),
        (400, "E999", ProviderStatus.UNKNOWN),
        (500, "E150", ProviderStatus.UNKNOWN),
    ],
)
def test_place_order_status_table(http_status, error_id, expected):
    assert place_order_status(parse_error(http_status, {"id": error_id})) == expected


def test_parse_error_reads_every_field_and_tolerates_other_bodies():
    error = parse_error(
        400,
        {
            "id": "E150",
            "code": "DENOMINATION_NOT_AVAILABLE",
            "message": "no such denomination",
            "requestId": "req-1",
            "debugMessage": "denomination 250",
            "subErrors": [{"fieldName": "denomination", "message": "bad"}],
        },
    )
    assert (error.id, error.code, error.request_id) == (
        "E150",
        "DENOMINATION_NOT_AVAILABLE",
        "req-1",
    )
    assert error.describe() == "E150 no such denomination (denomination: bad)"
    assert parse_error(502, "<html>").describe() == "HTTP 502"
    assert parse_error(400, {"id": "E152"}).describe() == "E152 Maximum denomination exceeded"
