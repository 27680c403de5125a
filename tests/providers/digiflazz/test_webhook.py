"""Digiflazz callback signature (X-Hub-Signature, HMAC-SHA1) and body parsing."""

import json

import pytest

from providers.base import ProviderStatus
from providers.digiflazz.webhook import parse_callback_body, sign_callback, verify_callback

# The well-known HMAC-SHA1 test vector (key "key", the quick brown fox).
FOX = b"The quick brown fox jumps over the lazy dog"
FOX_SIGNATURE = "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"


def test_sign_callback_is_hex_hmac_sha1_with_prefix():
    assert sign_callback("key", FOX) == FOX_SIGNATURE


@pytest.mark.parametrize(
    ("secret", "body", "header", "valid"),
    [
        ("key", FOX, FOX_SIGNATURE, True),
        ("key", FOX, FOX_SIGNATURE.upper().replace("SHA1=", "sha1="), True),
        ("key", FOX + b" ", FOX_SIGNATURE, False),  # one byte more
        ("other", FOX, FOX_SIGNATURE, False),
        ("key", FOX, FOX_SIGNATURE.removeprefix("sha1="), False),
        ("key", FOX, "", False),
        ("key", FOX, None, False),
        ("", FOX, sign_callback("", FOX), False),  # no secret configured: never valid
    ],
)
def test_verify_callback(secret, body, header, valid):
    assert verify_callback(secret, body, header) is valid


def test_parse_callback_body_maps_an_update():
    body = json.dumps(
        {
            "data": {
                "ref_id": "TRX-1",
                "customer_no": "087800001233",
                "buyer_sku_code": "xld10",
                "message": "Transaksi Sukses",
                "status": "Sukses",
                "rc": "00",
                "sn": "1234567890",
                "buyer_last_saldo": 100000,
                "price": 10000,
                "tele": "",
                "wa": "",
            }
        }
    ).encode()

    result = parse_callback_body(body)

    assert result.status == ProviderStatus.SUCCESS
    assert result.vouchers[0].serial == "1234567890"
    assert result.raw["ref_id"] == "TRX-1"


def test_parse_callback_body_failed_update():
    body = b'{"data": {"ref_id": "TRX-2", "status": "Gagal", "rc": "02", "message": "x"}}'
    result = parse_callback_body(body)
    assert result.status == ProviderStatus.FAILED
    assert result.vouchers == []


def test_a_ping_is_not_wrapped_in_data_and_parses_to_none():
    ping = b'{"zen": "Keep it logically awesome.", "hook_id": 12345, "hook": {"events": []}}'
    assert parse_callback_body(ping) is None


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"data": "Sukses"}', b"\xff\xfe"])
def test_parse_callback_body_rejects_garbage(body):
    with pytest.raises(ValueError):  # noqa: PT011 (any ValueError: JSON or shape)
        parse_callback_body(body)
