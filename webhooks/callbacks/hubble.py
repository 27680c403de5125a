"""Hubble's three callbacks, one body kind per URL: `X-Verify` = Base64(HMAC-SHA256(secret,
raw body)) (providers/hubble/webhook.py); optional source-IP allow-list (HUBBLE_WEBHOOK_IPS).
"""

from django.conf import settings

from providers.hubble import webhook as hubble_webhook
from shop.models import NotificationLevel
from shop.notifications import notify
from webhooks.models import DeliveryOutcome, WebhookSource
from webhooks.protocol import (
    CallbackProtocol,
    Handled,
    WebhookRejected,
    parse_json_object,
    validated,
)
from webhooks.serializers import (
    HubbleBrandUpdatedSerializer,
    HubbleLowBalanceSerializer,
    HubbleOrderStatusSerializer,
)
from webhooks.services import (
    hubble_apply_brand_update,
    hubble_apply_order_state,
    hubble_record_low_balance,
    order_for_provider_callback,
)


class HubbleCallback(CallbackProtocol):
    """What the three share; each sets `serializer_class` and `build` (the dataclass from
    the parsed body, in providers/hubble/webhook.py)."""

    allowed_ips_setting = "HUBBLE_WEBHOOK_IPS"
    serializer_class: type

    def secret(self) -> str:
        return settings.HUBBLE_WEBHOOK_SECRET

    def verify(self, raw, headers, secret) -> bool:
        return hubble_webhook.verify(secret, raw, headers.get(hubble_webhook.SIGNATURE_HEADER))

    def build(self, data: dict):
        raise NotImplementedError

    def parse(self, raw, headers):
        data = parse_json_object(raw)
        validated(self.serializer_class, data)
        try:
            return self.build(data)
        except hubble_webhook.InvalidCallback as exc:
            raise WebhookRejected(422, "INVALID_REQUEST_DATA", exc.message) from None

    def success_body(self, handled: Handled) -> dict:
        return {"status": "ok"}

    def error_body(self, code: str, message: str) -> dict:
        return {"status": "error", "code": code, "message": message}


class HubbleBrandUpdated(HubbleCallback):
    source = WebhookSource.HUBBLE_BRAND
    serializer_class = HubbleBrandUpdatedSerializer

    def build(self, data: dict) -> hubble_webhook.BrandUpdated:
        return hubble_webhook.brand_updated_from(data)

    def apply(self, parsed: hubble_webhook.BrandUpdated, delivery) -> Handled:
        # A bad amount range is refused alone (staff told) and Hubble still gets its 200:
        # the rest of the update was applied, and a refusal would only bring it again.
        applied = hubble_apply_brand_update(update=parsed)
        note = f"{applied.changed} products changed"
        if applied.range_refused:
            note += f"; amount range refused: {applied.range_refused}"
        return Handled(reference=parsed.brand_id, note=note)


class HubbleLowBalance(HubbleCallback):
    source = WebhookSource.HUBBLE_LOW_BALANCE
    serializer_class = HubbleLowBalanceSerializer

    def build(self, data: dict) -> hubble_webhook.LowBalance:
        return hubble_webhook.low_balance_from(data)

    def apply(self, parsed: hubble_webhook.LowBalance, delivery) -> Handled:
        hubble_record_low_balance(low=parsed)
        return Handled()


class HubbleOrderStatus(HubbleCallback):
    """An order reached a terminal state. The body has no vouchers, so the order is fetched
    through the adapter (by a worker, right away); a delivered order reported REVERSED or
    CANCELLED goes to review from the callback."""

    source = WebhookSource.HUBBLE_ORDER
    serializer_class = HubbleOrderStatusSerializer

    def build(self, data: dict) -> hubble_webhook.OrderStateChanged:
        return hubble_webhook.order_state_from(data)

    def apply(self, parsed: hubble_webhook.OrderStateChanged, delivery) -> Handled:
        order, attempt_reference = order_for_provider_callback(
            provider="hubble", provider_order_id=parsed.order_id
        )
        if order is None:
            notify_unmatched(source="Hubble", reference=parsed.order_id, delivery=delivery)
            return Handled(
                outcome=DeliveryOutcome.UNMATCHED,
                reference=parsed.order_id,
                note=f"No order with Hubble id {parsed.order_id}.",
            )
        changed = hubble_apply_order_state(order=order, state=parsed, reference=attempt_reference)
        return Handled(
            outcome=DeliveryOutcome.PROCESSED if changed else DeliveryOutcome.DUPLICATE,
            order=order,
            reference=parsed.order_id,
            note=f"Hubble says {parsed.status}",
        )


def notify_unmatched(*, source: str, reference: str, delivery) -> None:
    notify(
        title=f"{source} callback for an unknown order {reference}",
        message=f"Webhook delivery #{delivery.pk} was acknowledged but matched no order.",
        level=NotificationLevel.WARNING,
        data={"delivery": delivery.pk},
    )
