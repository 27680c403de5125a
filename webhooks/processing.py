"""Every stored callback is processed here, and only here: `delivery_process(delivery)`
parses the stored body once into the provider's dataclass and applies it. The callback view
calls it once the delivery is stored and its signature verified (webhooks/base.py); staff's
re-apply (ops) calls it again on the stored body, with no view and nothing signed again."""

from webhooks.callbacks.digiflazz import DigiflazzTransaction
from webhooks.callbacks.hubble import HubbleBrandUpdated, HubbleLowBalance, HubbleOrderStatus
from webhooks.callbacks.shan import ShanBalanceUpdate
from webhooks.callbacks.tripay import TripayPaymentStatus
from webhooks.callbacks.vipreseller import VipResellerTransaction
from webhooks.models import WebhookDelivery
from webhooks.protocol import CallbackProtocol, Handled

PROTOCOLS: dict[str, CallbackProtocol] = {
    protocol.source: protocol
    for protocol in (
        ShanBalanceUpdate(),
        DigiflazzTransaction(),
        TripayPaymentStatus(),
        HubbleBrandUpdated(),
        HubbleLowBalance(),
        HubbleOrderStatus(),
        VipResellerTransaction(),
    )
}


def protocol_for(source: str) -> CallbackProtocol:
    return PROTOCOLS[source]


def delivery_process(delivery: WebhookDelivery) -> Handled:
    """Parse the delivery's stored body and headers into its provider's dataclass and apply
    it through the services (each idempotent: processing a delivery again changes nothing
    already applied). The caller must have checked the signature (`signature_valid`): this
    never verifies or signs anything, so a secret changed since does not matter.

    Raises WebhookRejected for what the caller sent wrong, ApplicationError when a rule of
    the shop refused what was reported; anything else is our fault."""
    protocol = protocol_for(delivery.source)
    parsed = protocol.parse(bytes(delivery.raw_body), delivery.headers)
    return protocol.apply(parsed, delivery)
