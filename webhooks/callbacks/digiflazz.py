"""Digiflazz's transaction callback (POST /api/webhooks/digiflazz): a transaction reached a
new state, or a ping. `X-Hub-Signature` signs the raw body (providers/digiflazz/webhook.py)."""

from django.conf import settings
from django.db import transaction

from orders.models import Order
from orders.pipeline import order_apply_callback
from orders.services.transitions import order_lock
from providers.digiflazz import webhook as digiflazz_webhook
from providers.digiflazz.adapter import result_from_transaction
from webhooks.models import DeliveryOutcome, WebhookSource
from webhooks.protocol import CallbackProtocol, Handled, parse_json_object, validated
from webhooks.serializers import DigiflazzCallbackSerializer
from webhooks.services import order_for_provider_callback


class DigiflazzTransaction(CallbackProtocol):
    source = WebhookSource.DIGIFLAZZ

    def secret(self) -> str:
        return settings.DIGIFLAZZ_WEBHOOK_SECRET

    def verify(self, raw, headers, secret) -> bool:
        return digiflazz_webhook.verify_callback(
            secret, raw, headers.get(digiflazz_webhook.SIGNATURE_HEADER)
        )

    def parse(self, raw, headers) -> digiflazz_webhook.TransactionUpdate | None:
        """The update; None for a ping."""
        payload = parse_json_object(raw)
        if digiflazz_webhook.is_ping(payload, headers.get(digiflazz_webhook.EVENT_HEADER)):
            return None
        data = validated(DigiflazzCallbackSerializer, payload)["data"]
        return digiflazz_webhook.TransactionUpdate(
            ref_id=data["ref_id"], result=result_from_transaction(payload["data"])
        )

    def apply(self, parsed: digiflazz_webhook.TransactionUpdate | None, delivery) -> Handled:
        if parsed is None:
            return Handled(note="ping")
        order, attempt_reference = order_for_provider_callback(
            provider="digiflazz", reference=parsed.ref_id
        )
        return apply_order_callback(
            order, parsed.result, parsed.ref_id, attempt_reference=attempt_reference
        )

    def success_body(self, handled: Handled) -> dict:
        return {"status": "ok"}

    def error_body(self, code: str, message: str) -> dict:
        return {"status": "error", "code": code, "message": message}


def applied_under_lock(order: Order, apply, *, fields: tuple[str, ...]) -> tuple[Order, bool]:
    """Run `apply(order)` holding the order's row lock, and say whether any of `fields`
    changed: concurrent duplicates wait for each other, so only one sees a change."""
    with transaction.atomic():
        locked = order_lock(order)
        before = tuple(getattr(locked, name) for name in fields)
        order = apply(locked)
    return order, tuple(getattr(order, name) for name in fields) != before


def apply_order_callback(
    order: Order | None, result, reference: str, *, attempt_reference: str = ""
) -> Handled:
    """Apply a provider's order update about the attempt `attempt_reference` (empty: the
    current one); an unknown order is acknowledged and recorded."""
    if order is None:
        return Handled(
            outcome=DeliveryOutcome.UNMATCHED,
            reference=reference,
            note=f"No order {reference} at this provider.",
        )
    order, changed = applied_under_lock(
        order,
        lambda locked: order_apply_callback(
            order=locked, result=result, reference=attempt_reference
        ),
        fields=("status", "provider_status", "updated_at"),
    )
    return Handled(
        outcome=DeliveryOutcome.PROCESSED if changed else DeliveryOutcome.DUPLICATE,
        order=order,
        reference=reference,
    )
