import hashlib
import hmac

from providers.tripay import webhook

# Tripay's own example (developer docs, "Buat Signature"): key, merchant, ref, amount → result.
DOC_PRIVATE_KEY = "ytf6ooi2gmlNPfpchd94jDOk8hRWOu"
DOC_SIGNATURE = "9f167eba844d1fcb369404e2bda53702e2f78f7aa12e91da6715414e65b8c86a"


def test_create_signature_matches_tripays_documented_example():
    signature = webhook.create_signature(
        private_key=DOC_PRIVATE_KEY, merchant_code="T0001", merchant_ref="INV55567", amount=1500000
    )
    assert signature == DOC_SIGNATURE


def test_verify_create_signature_refuses_any_other_amount_or_ref():
    values = {"private_key": DOC_PRIVATE_KEY, "merchant_code": "T0001"}
    assert webhook.verify_create_signature(
        **values, merchant_ref="INV55567", amount=1500000, signature=DOC_SIGNATURE
    )
    assert not webhook.verify_create_signature(
        **values, merchant_ref="INV55567", amount=1500001, signature=DOC_SIGNATURE
    )
    assert not webhook.verify_create_signature(
        **values, merchant_ref="INV55568", amount=1500000, signature=DOC_SIGNATURE
    )
    assert not webhook.verify_create_signature(
        **values, merchant_ref="INV55567", amount=1500000, signature=""
    )


def test_callback_signature_is_hex_hmac_sha256_of_the_raw_body():
    body = b'{"reference":"T1","status":"PAID"}'
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert webhook.sign_callback("secret", body) == expected
    assert webhook.verify_callback("secret", body, expected)
    assert webhook.verify_callback("secret", body, expected.upper())  # hex is case-free
    assert not webhook.verify_callback("secret", body + b" ", expected)
    assert not webhook.verify_callback("other", body, expected)
    assert not webhook.verify_callback("secret", body, None)


def test_callback_headers_carry_signature_and_event():
    body = b"{}"
    headers = webhook.callback_headers("secret", body)
    assert headers["X-Callback-Signature"] == webhook.sign_callback("secret", body)
    assert headers["X-Callback-Event"] == "payment_status"
    assert headers["Content-Type"] == "application/json"


def test_header_value_ignores_case():
    assert webhook.header_value({"x-callback-event": "payment_status"}, "X-Callback-Event") == (
        "payment_status"
    )
    assert webhook.header_value({}, "X-Callback-Event") is None
