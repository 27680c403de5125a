"""Tripay's signature rules (docs/providers/tripay.md): hex HMAC-SHA256 keyed with the
merchant's private key.

- Creating a transaction: over `merchant_code + merchant_ref + amount` (amount in whole
  rupiah, written as an integer).
- A callback: over the raw request body, sent in `X-Callback-Signature` next to
  `X-Callback-Event: payment_status`. Verify the bytes as received, never re-serialised JSON.

The adapter, the Tripay simulator and the sandbox gateway all sign and verify through here.
"""

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Callback-Signature"
EVENT_HEADER = "X-Callback-Event"
PAYMENT_STATUS_EVENT = "payment_status"


def _hmac_hex(private_key: str, message: bytes) -> str:
    return hmac.new(private_key.encode(), message, hashlib.sha256).hexdigest()


def create_signature(
    *, private_key: str, merchant_code: str, merchant_ref: str, amount: int
) -> str:
    """The `signature` field of a transaction-create request."""
    return _hmac_hex(private_key, f"{merchant_code}{merchant_ref}{int(amount)}".encode())


def verify_create_signature(
    *, private_key: str, merchant_code: str, merchant_ref: str, amount: int, signature: str
) -> bool:
    """Whether `signature` is the create signature of these values (constant-time compare)."""
    expected = create_signature(
        private_key=private_key,
        merchant_code=merchant_code,
        merchant_ref=merchant_ref,
        amount=amount,
    )
    return hmac.compare_digest(expected, signature or "")


def sign_callback(private_key: str, body: bytes) -> str:
    """The `X-Callback-Signature` value for a callback whose raw body is `body`."""
    return _hmac_hex(private_key, body)


def verify_callback(private_key: str, body: bytes, signature: str | None) -> bool:
    """Whether `signature` signs exactly these raw bytes (constant-time compare)."""
    if not signature:
        return False
    return hmac.compare_digest(sign_callback(private_key, body), signature.strip().lower())


def callback_headers(private_key: str, body: bytes) -> dict[str, str]:
    """Every header Tripay sends with a payment-status callback whose raw body is `body`."""
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign_callback(private_key, body),
        EVENT_HEADER: PAYMENT_STATUS_EVENT,
    }


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """`name` from `headers`, ignoring case (a plain dict or Django's request.headers)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, item in headers.items():
        if key.lower() == lowered:
            return item
    return None
