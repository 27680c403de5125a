"""VIP Reseller's transaction callback (POST /api/webhooks/vipreseller).

`X-Client-Signature` is md5(API ID + API KEY) (providers/vipreseller/webhook.py): a static
value that signs nothing of the body. So the body is only a prompt: the order it names (by
VIP's trxid) is asked of VIP by a worker (`order_poll_soon`, a `type=status` call), and
only VIP's answer moves it. A forged body can therefore make the shop ask, never refund.
"""

from django.conf import settings
from django.db import transaction

from orders.pipeline import order_poll_soon
from orders.services.transitions import order_lock
from providers.vipreseller import webhook as vip_webhook
from webhooks.callbacks.hubble import notify_unmatched
from webhooks.models import DeliveryOutcome, WebhookSource
from webhooks.protocol import CallbackProtocol, Handled, parse_json_object, validated
from webhooks.serializers import VipResellerCallbackSerializer, VipResellerTransactionSerializer
from webhooks.services import order_for_provider_callback


class VipResellerTransaction(CallbackProtocol):
    source = WebhookSource.VIPRESELLER

    def secret(self) -> str:
        """The API key (the signature needs the API ID too: without both, none verifies)."""
        if not settings.VIPRESELLER_API_ID:
            return ""
        return settings.VIPRESELLER_API_KEY

    def verify(self, raw, headers, secret) -> bool:
        return vip_webhook.verify_callback(
            settings.VIPRESELLER_API_ID, secret, headers.get(vip_webhook.SIGNATURE_HEADER)
        )

    def parse(self, raw, headers) -> vip_webhook.TransactionPrompt:
        payload = parse_json_object(raw)
        if "data" in payload:
            data = validated(VipResellerCallbackSerializer, payload)["data"]
        else:  # the fields at the top level
            data = validated(VipResellerTransactionSerializer, payload)
        return vip_webhook.TransactionPrompt(
            trxid=data["trxid"].strip(), status=str(data.get("status") or "").strip().lower()
        )

    def apply(self, parsed: vip_webhook.TransactionPrompt, delivery) -> Handled:
        # The poll asks about the order's current attempt; a prompt about an earlier one
        # (failed for good) finds the order all the same.
        order, _attempt = order_for_provider_callback(
            provider="vipreseller", provider_order_id=parsed.trxid
        )
        if order is None:
            notify_unmatched(source="VIP Reseller", reference=parsed.trxid, delivery=delivery)
            return Handled(
                outcome=DeliveryOutcome.UNMATCHED,
                reference=parsed.trxid,
                note=f"No order with VIP Reseller trxid {parsed.trxid}.",
            )
        with transaction.atomic():
            queued = order_poll_soon(order=order_lock(order))
        return Handled(
            outcome=DeliveryOutcome.PROCESSED if queued else DeliveryOutcome.DUPLICATE,
            order=order,
            reference=parsed.trxid,
            note=f"VIP Reseller says {parsed.status or '(no status)'}; asked VIP by trxid",
        )

    def success_body(self, handled: Handled) -> dict:
        return {"result": True, "message": "ok"}

    def error_body(self, code: str, message: str) -> dict:
        return {"result": False, "code": code, "message": message}
