"""Hubble's callbacks: the `X-Verify` signature and the three bodies (no event type in them).

Signature: Base64(HMAC-SHA256(shared secret, raw body)), checked on the raw bytes.
The views that receive the callbacks are in the webhooks app; each URL takes one body kind.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from decimal import Decimal

from providers.base import ProviderError
from providers.hubble.catalog import to_decimal

SIGNATURE_HEADER = "X-Verify"


class InvalidCallback(ProviderError):
    """A callback body that is not the JSON object its URL expects."""


def sign(secret: str, body: bytes) -> str:
    """The `X-Verify` value for `body`: Base64 of its HMAC-SHA256 under `secret`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: str, body: bytes, header_value: str | None) -> bool:
    """Whether `header_value` is the signature of the raw `body` (constant-time compare)."""
    if not secret or not header_value:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), header_value.strip().encode())


@dataclass(frozen=True)
class BrandUpdated:
    brand_id: str
    denomination_type: str
    status: str
    denominations: list[Decimal]
    amount_restrictions: dict
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LowBalance:
    balance: Decimal
    threshold: Decimal
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OrderStateChanged:
    """An order reached a terminal state; fetch the order for its vouchers."""

    order_id: str
    status: str
    raw: dict = field(default_factory=dict)


def _object(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise InvalidCallback("callback body is not JSON", code="invalid_json") from exc
    if not isinstance(data, dict):
        raise InvalidCallback("callback body is not a JSON object", code="invalid_json")
    return data


def _required(data: dict, key: str) -> str:
    value = data.get(key)
    if value is None or value == "":
        raise InvalidCallback(f"callback body lacks {key!r}", code="missing_field")
    return str(value)


def _amount(data: dict, key: str) -> Decimal:
    value = to_decimal(data.get(key))
    if value is None:
        raise InvalidCallback(f"callback {key!r} is not a number", code="invalid_field")
    return value


def parse_brand_updated(body: bytes) -> BrandUpdated:
    """`{id, denominationType, status, denominations[], amountRestrictions}`."""
    return brand_updated_from(_object(body))


def brand_updated_from(data: dict) -> BrandUpdated:
    """A brand update from its already parsed body (InvalidCallback without an `id`)."""
    restrictions = data.get("amountRestrictions")
    denominations = [to_decimal(item) for item in data.get("denominations") or []]
    return BrandUpdated(
        brand_id=_required(data, "id"),
        denomination_type=str(data.get("denominationType") or ""),
        status=str(data.get("status") or ""),
        denominations=[value for value in denominations if value is not None],
        amount_restrictions=restrictions if isinstance(restrictions, dict) else {},
        raw=data,
    )


def parse_low_balance(body: bytes) -> LowBalance:
    """`{"balance": 50, "threshold": 100}`."""
    return low_balance_from(_object(body))


def low_balance_from(data: dict) -> LowBalance:
    """A low-balance warning from its already parsed body (InvalidCallback for a bad amount)."""
    return LowBalance(
        balance=_amount(data, "balance"), threshold=_amount(data, "threshold"), raw=data
    )


def parse_order_state(body: bytes) -> OrderStateChanged:
    """`{"id": "<order id>", "status": "SUCCESS|FAILED|REVERSED|..."}`."""
    return order_state_from(_object(body))


def order_state_from(data: dict) -> OrderStateChanged:
    """An order's new state from its already parsed body (InvalidCallback without id/status)."""
    return OrderStateChanged(
        order_id=_required(data, "id"), status=_required(data, "status").upper(), raw=data
    )
