"""Digiflazz's callback rule: `X-Hub-Signature: sha1=<hex HMAC-SHA1(secret, raw body)>`.

Headers sent with each callback: `X-Digiflazz-Event: create|update|ping`,
`X-Hub-Signature`, `X-Digiflazz-Delivery: <uuid>`, `User-Agent: Digiflazz-Hookshot`.
The body is `{"data": {...the /transaction reply's fields}}`; a ping is not wrapped in data.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass

from providers.base import ProviderResult
from providers.digiflazz.adapter import result_from_transaction

SIGNATURE_HEADER = "X-Hub-Signature"
EVENT_HEADER = "X-Digiflazz-Event"
DELIVERY_HEADER = "X-Digiflazz-Delivery"
USER_AGENT = "Digiflazz-Hookshot"


def sign_callback(secret: str, body: bytes) -> str:
    """The X-Hub-Signature value for `body`: "sha1=" + lowercase hex HMAC-SHA1."""
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return f"sha1={digest}"


def verify_callback(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` signs exactly these raw bytes (constant-time; False without a secret
    or header)."""
    if not secret or not header:
        return False
    return hmac.compare_digest(sign_callback(secret, body), header.strip().lower())


PING_EVENT = "ping"


@dataclass(frozen=True)
class TransactionUpdate:
    """A callback's word on one of our transactions: its `ref_id` (our order code) and the
    state it reached."""

    ref_id: str
    result: ProviderResult


def is_ping(payload: dict, event: str | None) -> bool:
    """A ping says nothing of a transaction: the event says so, or the body has no `data`."""
    return (event or "").lower() == PING_EVENT or "data" not in payload


def parse_callback_body(body: bytes) -> ProviderResult | None:
    """The transaction update a callback carries; None for a ping (a body without `data`).

    Raises ValueError when the body is not a JSON object or its `data` is not an object.
    """
    payload = json.loads(body)
    if not isinstance(payload, dict):
        raise ValueError("a Digiflazz callback body must be a JSON object")
    if "data" not in payload:
        return None
    data = payload["data"]
    if not isinstance(data, dict):
        raise ValueError("a Digiflazz callback's data must be an object")
    return result_from_transaction(data)
