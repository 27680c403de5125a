"""Shan's balance update (POST /api/shan/client/balance-update): a round settled.

The signature is the body's own `signature` field: HMAC-MD5 over PHP's `json_encode` of the
body's tokens (providers/shan/signature.py), so checking it reads the JSON; with
SHAN_TRANSACTION_KEY set, `X-Transaction-Key` must match it too.
"""

import hmac
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from providers.shan import signature as shan_signature
from shan.settlement import (
    shan_apply_balance_update,
    shan_fingerprint,
    shan_settled_fingerprint,
)
from shop.errors import ApplicationError
from webhooks.models import DeliveryOutcome, WebhookSource
from webhooks.protocol import CallbackProtocol, Handled, WebhookRejected, validated
from webhooks.serializers import ShanBalanceUpdateSerializer


@dataclass(frozen=True)
class ShanRound:
    """A round as the provider reported it: the validated body and the fingerprint of what
    was signed (a repeat of the same wager code must carry the same)."""

    data: dict
    fingerprint: str


ALREADY = {
    "status": "success",
    "code": "ALREADY_PROCESSED",
    "message": "This wager was already processed.",
}


class ShanBalanceUpdate(CallbackProtocol):
    source = WebhookSource.SHAN

    def secret(self) -> str:
        return settings.SHAN_SECRET_KEY

    def verify(self, raw, headers, secret) -> bool:
        expected_key = settings.SHAN_TRANSACTION_KEY
        if expected_key and not _same(headers.get("X-Transaction-Key", ""), expected_key):
            return False
        body, signed = _read_shan(raw)
        return shan_signature.verify(secret, body, signed)

    def parse(self, raw, headers) -> ShanRound:
        body, signed = _read_shan(raw)
        return ShanRound(
            data=validated(ShanBalanceUpdateSerializer, body),
            fingerprint=shan_fingerprint(signed),
        )

    def apply(self, parsed: ShanRound, delivery) -> Handled:
        wager_code = parsed.data["wager_code"]
        try:
            settled = shan_apply_balance_update(data=parsed.data, fingerprint=parsed.fingerprint)
        except ApplicationError as exc:
            status, code = {
                "player_not_found": (404, "PLAYER_NOT_FOUND"),
                "wager_conflict": (409, "WAGER_CONFLICT"),
            }.get(exc.code, (422, "INVALID_REQUEST_DATA"))
            raise WebhookRejected(status, code, exc.message) from None
        if settled:
            return Handled(wager_code=wager_code)
        return Handled(outcome=DeliveryOutcome.DUPLICATE, wager_code=wager_code, body=ALREADY)

    def repeat_reply(self, raw: bytes) -> dict | None:
        """A round settled before with this very content (the fingerprint of what was
        signed): ALREADY_PROCESSED from one lookup by the wager code's unique index, with no
        delivery stored. The same wager code with other content goes on, to be refused as a
        conflict (stored, staff told)."""
        try:
            body, signed = _read_shan(raw)
        except (WebhookRejected, shan_signature.ShanBodyError):
            return None
        wager_code = body.get("wager_code")
        if not isinstance(wager_code, str) or not wager_code:
            return None
        settled = shan_settled_fingerprint(wager_code)
        if settled is None or settled != shan_fingerprint(signed):
            return None
        return ALREADY

    def success_body(self, handled: Handled) -> dict:
        return {"status": "success", "code": "SUCCESS", "message": "Balances updated successfully."}

    def error_body(self, code: str, message: str) -> dict:
        return {"status": "error", "code": code, "message": message}


@lru_cache(maxsize=64)
def _read_shan(raw: bytes) -> tuple[dict, str]:
    """The body and the string it signs, built once per body: a delivery's signature check,
    repeat lookup and parse share them (read only: nothing changes the body)."""
    body = _parse_shan(raw)
    return body, shan_signature.signed_string(body)


def _parse_shan(raw: bytes) -> dict:
    """The body with every number kept as sent (the signature is over that text)."""
    try:
        return shan_signature.parse_preserving_numbers(raw)
    except shan_signature.ShanBodyError as exc:
        raise WebhookRejected(400, "INVALID_REQUEST_DATA", f"Invalid request data: {exc}") from None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
