"""Tripay's payment-status callback (POST /api/webhooks/tripay), for an order or a wallet
deposit; the sandbox gateway sends the same. `X-Callback-Signature` signs the raw body
(providers/tripay/webhook.py); optional source-IP allow-list (TRIPAY_CALLBACK_IPS). Applied
by `gateway_report_apply`, the path the shop's own status checks take too."""

from django.conf import settings

from orders.gateway_payments import ReportOutcome, ReportVia, gateway_report_apply
from providers.base import PaymentCallback, ProviderError
from providers.tripay import webhook as tripay_webhook
from providers.tripay.adapter import tripay_callback_from
from webhooks.models import DeliveryOutcome, WebhookSource
from webhooks.protocol import (
    CallbackProtocol,
    Handled,
    WebhookRejected,
    parse_json_object,
    validated,
)
from webhooks.serializers import TripayCallbackSerializer

TRIPAY_OUTCOMES = {
    ReportOutcome.APPLIED: DeliveryOutcome.PROCESSED,
    ReportOutcome.UNCHANGED: DeliveryOutcome.DUPLICATE,
    ReportOutcome.UNMATCHED: DeliveryOutcome.UNMATCHED,
    ReportOutcome.WRONG_REFERENCE: DeliveryOutcome.WRONG_REFERENCE,
}


class TripayPaymentStatus(CallbackProtocol):
    source = WebhookSource.TRIPAY
    allowed_ips_setting = "TRIPAY_CALLBACK_IPS"

    def secret(self) -> str:
        return settings.TRIPAY_PRIVATE_KEY

    def verify(self, raw, headers, secret) -> bool:
        signature = tripay_webhook.header_value(headers, tripay_webhook.SIGNATURE_HEADER)
        return tripay_webhook.verify_callback(secret, raw, signature)

    def parse(self, raw, headers) -> PaymentCallback:
        payload = parse_json_object(raw)
        validated(TripayCallbackSerializer, payload)
        event = tripay_webhook.header_value(headers, tripay_webhook.EVENT_HEADER)
        try:
            return tripay_callback_from(data=payload, event=event)
        except ProviderError as exc:
            raise WebhookRejected(400, "INVALID_REQUEST_DATA", exc.message) from None

    def apply(self, parsed: PaymentCallback, delivery) -> Handled:
        applied = gateway_report_apply(report=parsed, via=ReportVia.CALLBACK)
        handled = Handled(
            outcome=TRIPAY_OUTCOMES[applied.outcome],
            order=applied.order,
            reference=parsed.merchant_ref,
            note=applied.note,
        )
        if applied.outcome == ReportOutcome.WRONG_REFERENCE:
            # Acknowledged so that Tripay stops sending it (the same body can never match);
            # the delivery and staff's notification keep it.
            handled.body = {"success": True, "code": "REFERENCE_MISMATCH", "message": applied.note}
        return handled
