"""What a caller's callback protocol is made of, apart from HTTP: how its signature is
checked, how its body parses into the provider's dataclass, how that is applied, and how it
wants to be answered. One `CallbackProtocol` per callback URL (webhooks/callbacks/); the
view (webhooks/base.py) and the re-apply action both reach it through
`webhooks.processing.delivery_process`.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from rest_framework import serializers

from orders.models import Order
from webhooks.models import DeliveryOutcome, WebhookDelivery


class WebhookRejected(Exception):
    """The caller sent something we refuse: a 4xx with a code and a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass
class Handled:
    """What applying a callback did."""

    outcome: str = DeliveryOutcome.PROCESSED
    body: dict | None = None  # the reply; None for the protocol's default success reply
    status: int = 200
    order: Order | None = None
    wager_code: str = ""
    reference: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)


class CallbackProtocol:
    """One caller's protocol. Subclasses set `source` (and `allowed_ips_setting` where an
    allow-list may be configured) and implement `secret`, `verify`, `parse` and `apply`."""

    source: str
    allowed_ips_setting: str = ""

    def secret(self) -> str:
        """The shared secret the signature is made with; "" when not configured."""
        raise NotImplementedError

    def verify(self, raw: bytes, headers: Mapping[str, str], secret: str) -> bool:
        """Whether the raw bytes and headers carry a valid signature under `secret`."""
        raise NotImplementedError

    def parse(self, raw: bytes, headers: Mapping[str, str]):
        """The provider's dataclass for a verified body (WebhookRejected when malformed)."""
        raise NotImplementedError

    def apply(self, parsed, delivery: WebhookDelivery) -> Handled:
        """Apply what `parse` returned through the services."""
        raise NotImplementedError

    def repeat_reply(self, raw: bytes) -> dict | None:
        """The reply to a verified delivery that repeats one already applied in full, found
        with one indexed lookup, so the view answers it before storing anything; None (the
        default) to store and process it as any delivery."""
        return None

    def success_body(self, handled: Handled) -> dict:
        return {"success": True}

    def error_body(self, code: str, message: str) -> dict:
        return {"success": False, "code": code, "message": message}


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is too large")
    return value


def _no_constants(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse_json_object(raw: bytes) -> dict:
    try:
        body = json.loads(raw, parse_float=_finite_float, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise WebhookRejected(400, "INVALID_REQUEST_DATA", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise WebhookRejected(400, "INVALID_REQUEST_DATA", "The body must be a JSON object.")
    if _holds_nul(body):  # PostgreSQL stores no NUL in text or jsonb: refused before anything
        raise WebhookRejected(
            400, "INVALID_REQUEST_DATA", "A NUL character is not allowed in the body."
        )
    return body


def _holds_nul(value) -> bool:
    """Whether a NUL stands in any key or string of the parsed JSON `value`."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def validated(serializer_class: type[serializers.Serializer], data: dict) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise WebhookRejected(
            422, "INVALID_REQUEST_DATA", f"Invalid request data: {_first_errors(serializer.errors)}"
        )
    return serializer.validated_data


def _first_errors(errors, prefix: str = "") -> str:
    if isinstance(errors, dict):
        parts = [_first_errors(value, f"{prefix}{key}.") for key, value in errors.items()]
        return "; ".join(part for part in parts if part)
    if isinstance(errors, list) and errors and not isinstance(errors[0], str):
        parts = [_first_errors(item, f"{prefix}{index}.") for index, item in enumerate(errors)]
        return "; ".join(part for part in parts if part)
    messages = errors if isinstance(errors, list) else [errors]
    return f"{prefix.rstrip('.')}: {' '.join(str(message) for message in messages)}"
