"""The callback endpoints. Each is a WebhookView (webhooks/base.py) speaking its caller's
protocol; the rules live in the services."""

import hmac

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

from orders.gateway_payments import ReportOutcome, ReportVia, gateway_report_apply
from orders.models import Order
from orders.pipeline import order_apply_callback
from orders.services.transitions import order_lock
from providers.base import ProviderError
from providers.digiflazz import webhook as digiflazz_webhook
from providers.hubble import webhook as hubble_webhook
from providers.shan import signature as shan_signature
from providers.tripay import webhook as tripay_webhook
from providers.tripay.adapter import parse_tripay_callback
from shop.errors import ApplicationError
from shop.models import NotificationLevel
from shop.notifications import notify
from webhooks.base import Handled, WebhookRejected, WebhookView, parse_json_object, validated
from webhooks.models import DeliveryOutcome, WebhookSource
from webhooks.serializers import (
    DigiflazzCallbackSerializer,
    HubbleBrandUpdatedSerializer,
    HubbleLowBalanceSerializer,
    HubbleOrderStatusSerializer,
    ShanBalanceUpdateSerializer,
    TripayCallbackSerializer,
)
from webhooks.services import (
    hubble_apply_brand_update,
    hubble_apply_order_state,
    hubble_record_low_balance,
    shan_apply_balance_update,
    shan_fingerprint,
)

SHAN_REPLY = inline_serializer(
    "ShanReply",
    {
        "status": serializers.ChoiceField(["success", "error"]),
        "code": serializers.CharField(),
        "message": serializers.CharField(),
    },
)


class ShanBalanceUpdateView(WebhookView):
    """POST /api/shan/client/balance-update: the Shan provider settles a round."""

    source = WebhookSource.SHAN

    def secret(self) -> str:
        return settings.SHAN_SECRET_KEY

    def verify_signature(self, raw, headers, secret) -> bool:
        expected_key = settings.SHAN_TRANSACTION_KEY
        if expected_key and not _same(headers.get("X-Transaction-Key", ""), expected_key):
            return False
        return shan_signature.verify(secret, _parse_shan(raw))

    def handle(self, raw, headers, delivery) -> Handled:
        body = _parse_shan(raw)
        data = validated(ShanBalanceUpdateSerializer, body)
        fingerprint = shan_fingerprint(shan_signature.signed_string(body))
        wager_code = data["wager_code"]
        try:
            settled = shan_apply_balance_update(data=data, fingerprint=fingerprint)
        except ApplicationError as exc:
            status, code = {
                "player_not_found": (404, "PLAYER_NOT_FOUND"),
                "wager_conflict": (409, "WAGER_CONFLICT"),
            }.get(exc.code, (422, "INVALID_REQUEST_DATA"))
            raise WebhookRejected(status, code, exc.message) from None
        if settled:
            return Handled(wager_code=wager_code)
        return Handled(
            outcome=DeliveryOutcome.DUPLICATE,
            wager_code=wager_code,
            body={
                "status": "success",
                "code": "ALREADY_PROCESSED",
                "message": "This wager was already processed.",
            },
        )

    def success_body(self, handled: Handled) -> dict:
        return {"status": "success", "code": "SUCCESS", "message": "Balances updated successfully."}

    def error_body(self, code: str, message: str) -> dict:
        return {"status": "error", "code": code, "message": message}

    @extend_schema(
        request=ShanBalanceUpdateSerializer,
        responses={
            200: SHAN_REPLY,
            400: SHAN_REPLY,
            401: SHAN_REPLY,
            404: SHAN_REPLY,
            409: SHAN_REPLY,
            413: SHAN_REPLY,
            422: SHAN_REPLY,
            500: OpenApiResponse(SHAN_REPLY, description="Our fault; logged."),
        },
        description="Signed with HMAC-MD5 over PHP json_encode of the body (see README).",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


def _parse_shan(raw: bytes) -> dict:
    """The body with every number kept as sent (the signature is over that text)."""
    try:
        return shan_signature.parse_preserving_numbers(raw)
    except shan_signature.ShanBodyError as exc:
        raise WebhookRejected(400, "INVALID_REQUEST_DATA", f"Invalid request data: {exc}") from None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def order_for_callback(*, reference: str, provider: str) -> Order | None:
    """The order a provider's callback speaks of, if it is ours and at that provider."""
    return Order.objects.filter(code=reference, provider_code=provider).first()


def applied_under_lock(order: Order, apply, *, fields: tuple[str, ...]) -> tuple[Order, bool]:
    """Run `apply(order)` holding the order's row lock, and say whether any of `fields`
    changed: concurrent duplicates wait for each other, so only one sees a change."""
    with transaction.atomic():
        locked = order_lock(order)
        before = tuple(getattr(locked, name) for name in fields)
        order = apply(locked)
    return order, tuple(getattr(order, name) for name in fields) != before


def apply_order_callback(order: Order | None, result, reference: str) -> Handled:
    """Apply a provider's order update; an unknown order is acknowledged and recorded."""
    if order is None:
        return Handled(
            outcome=DeliveryOutcome.UNMATCHED,
            reference=reference,
            note=f"No order {reference} at this provider.",
        )
    order, changed = applied_under_lock(
        order,
        lambda locked: order_apply_callback(order=locked, result=result),
        fields=("status", "provider_status", "updated_at"),
    )
    return Handled(
        outcome=DeliveryOutcome.PROCESSED if changed else DeliveryOutcome.DUPLICATE,
        order=order,
        reference=reference,
    )


class DigiflazzCallbackView(WebhookView):
    """POST /api/webhooks/digiflazz: a transaction reached a new state (or a ping)."""

    source = WebhookSource.DIGIFLAZZ

    def secret(self) -> str:
        return settings.DIGIFLAZZ_WEBHOOK_SECRET

    def verify_signature(self, raw, headers, secret) -> bool:
        return digiflazz_webhook.verify_callback(
            secret, raw, headers.get(digiflazz_webhook.SIGNATURE_HEADER)
        )

    def handle(self, raw, headers, delivery) -> Handled:
        body = parse_json_object(raw)
        if headers.get(digiflazz_webhook.EVENT_HEADER, "").lower() == "ping" or "data" not in body:
            return Handled(note="ping")
        data = validated(DigiflazzCallbackSerializer, body)["data"]
        result = digiflazz_webhook.parse_callback_body(raw)
        reference = data["ref_id"]
        order = order_for_callback(reference=reference, provider="digiflazz")
        return apply_order_callback(order, result, reference)

    def success_body(self, handled: Handled) -> dict:
        return {"status": "ok"}

    def error_body(self, code: str, message: str) -> dict:
        return {"status": "error", "code": code, "message": message}

    @extend_schema(request=DigiflazzCallbackSerializer, responses={200: dict, 401: dict, 422: dict})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TripayCallbackView(WebhookView):
    """POST /api/webhooks/tripay: a payment's status (Tripay, and the sandbox gateway, which
    sends the same format) for an order or a wallet deposit; optional source-IP allow-list
    (TRIPAY_CALLBACK_IPS). Applied by `gateway_report_apply`, the path the shop's own status
    checks take too."""

    source = WebhookSource.TRIPAY
    allowed_ips_setting = "TRIPAY_CALLBACK_IPS"

    def secret(self) -> str:
        return settings.TRIPAY_PRIVATE_KEY

    def verify_signature(self, raw, headers, secret) -> bool:
        signature = tripay_webhook.header_value(headers, tripay_webhook.SIGNATURE_HEADER)
        return tripay_webhook.verify_callback(secret, raw, signature)

    def handle(self, raw, headers, delivery) -> Handled:
        validated(TripayCallbackSerializer, parse_json_object(raw))
        try:
            callback = parse_tripay_callback(body=raw, headers=headers, private_key=self.secret())
        except ProviderError as exc:
            raise WebhookRejected(400, "INVALID_REQUEST_DATA", exc.message) from None
        applied = gateway_report_apply(report=callback, via=ReportVia.CALLBACK)
        handled = Handled(
            outcome=TRIPAY_OUTCOMES[applied.outcome],
            order=applied.order,
            reference=callback.merchant_ref,
            note=applied.note,
        )
        if applied.outcome == ReportOutcome.WRONG_REFERENCE:
            # Acknowledged so that Tripay stops sending it (the same body can never match);
            # the delivery and staff's notification keep it.
            handled.body = {
                "success": True,
                "code": "REFERENCE_MISMATCH",
                "message": applied.note,
            }
        return handled

    def error_body(self, code: str, message: str) -> dict:
        return {"success": False, "code": code, "message": message}

    @extend_schema(request=TripayCallbackSerializer, responses={200: dict, 401: dict, 422: dict})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


TRIPAY_OUTCOMES = {
    ReportOutcome.APPLIED: DeliveryOutcome.PROCESSED,
    ReportOutcome.UNCHANGED: DeliveryOutcome.DUPLICATE,
    ReportOutcome.UNMATCHED: DeliveryOutcome.UNMATCHED,
    ReportOutcome.WRONG_REFERENCE: DeliveryOutcome.WRONG_REFERENCE,
}


class HubbleCallbackView(WebhookView):
    """Hubble's callbacks: `X-Verify` = Base64(HMAC-SHA256(secret, raw body)); optional
    source-IP allow-list (HUBBLE_WEBHOOK_IPS)."""

    allowed_ips_setting = "HUBBLE_WEBHOOK_IPS"
    serializer_class: type

    def secret(self) -> str:
        return settings.HUBBLE_WEBHOOK_SECRET

    def verify_signature(self, raw, headers, secret) -> bool:
        return hubble_webhook.verify(secret, raw, headers.get("X-Verify"))

    def parsed(self, raw: bytes, parse):
        validated(self.serializer_class, parse_json_object(raw))
        try:
            return parse(raw)
        except hubble_webhook.InvalidCallback as exc:
            raise WebhookRejected(422, "INVALID_REQUEST_DATA", exc.message) from None

    def success_body(self, handled: Handled) -> dict:
        return {"status": "ok"}

    def error_body(self, code: str, message: str) -> dict:
        return {"status": "error", "code": code, "message": message}


class HubbleBrandUpdatedView(HubbleCallbackView):
    """POST /api/webhooks/hubble/brand-updated"""

    source = WebhookSource.HUBBLE_BRAND
    serializer_class = HubbleBrandUpdatedSerializer

    def handle(self, raw, headers, delivery) -> Handled:
        update = self.parsed(raw, hubble_webhook.parse_brand_updated)
        try:
            changed = hubble_apply_brand_update(update=update)
        except ApplicationError as refused:
            if refused.code != "invalid_amount_range":
                raise
            raise WebhookRejected(400, "INVALID_REQUEST_DATA", refused.message) from None
        return Handled(reference=update.brand_id, note=f"{changed} products changed")

    @extend_schema(
        request=HubbleBrandUpdatedSerializer, responses={200: dict, 400: dict, 401: dict}
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class HubbleLowBalanceView(HubbleCallbackView):
    """POST /api/webhooks/hubble/low-balance"""

    source = WebhookSource.HUBBLE_LOW_BALANCE
    serializer_class = HubbleLowBalanceSerializer

    def handle(self, raw, headers, delivery) -> Handled:
        hubble_record_low_balance(low=self.parsed(raw, hubble_webhook.parse_low_balance))
        return Handled()

    @extend_schema(request=HubbleLowBalanceSerializer, responses={200: dict, 401: dict})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class HubbleOrderStatusView(HubbleCallbackView):
    """POST /api/webhooks/hubble/order-status: an order reached a terminal state. The body
    has no vouchers, so the order is fetched through the adapter (by a worker, right away);
    a delivered order reported REVERSED or CANCELLED goes to review from the callback."""

    source = WebhookSource.HUBBLE_ORDER
    serializer_class = HubbleOrderStatusSerializer

    def handle(self, raw, headers, delivery) -> Handled:
        state = self.parsed(raw, hubble_webhook.parse_order_state)
        order = Order.objects.filter(
            provider_code="hubble", provider_order_id=state.order_id
        ).first()
        if order is None:
            notify_unmatched(source="Hubble", reference=state.order_id, delivery=delivery)
            return Handled(
                outcome=DeliveryOutcome.UNMATCHED,
                reference=state.order_id,
                note=f"No order with Hubble id {state.order_id}.",
            )
        changed = hubble_apply_order_state(order=order, state=state)
        return Handled(
            outcome=DeliveryOutcome.PROCESSED if changed else DeliveryOutcome.DUPLICATE,
            order=order,
            reference=state.order_id,
            note=f"Hubble says {state.status}",
        )

    @extend_schema(request=HubbleOrderStatusSerializer, responses={200: dict, 401: dict})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


def notify_unmatched(*, source: str, reference: str, delivery) -> None:
    notify(
        title=f"{source} callback for an unknown order {reference}",
        message=f"Webhook delivery #{delivery.pk} was acknowledged but matched no order.",
        level=NotificationLevel.WARNING,
        data={"delivery": delivery.pk},
    )
