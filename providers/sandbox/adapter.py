"""The sandbox gateway: a built-in payment page that stands in for Tripay in `make run` and the
tests. It exists only where SIMULATORS_ENABLED is on, and speaks Tripay's callback format
(signed with TRIPAY_PRIVATE_KEY), so the shop's Tripay callback view serves it too."""

from collections.abc import Mapping

from django.conf import settings

from providers.base import (
    GatewayAdapter,
    NotConfigured,
    PaymentCallback,
    PaymentChannel,
    PaymentInstructions,
    PaymentRequest,
    PaymentStatus,
)
from providers.config import require_settings
from providers.sandbox.simulator import (
    CODE,
    INSTRUCTIONS,
    METHOD,
    METHOD_NAME,
    sandbox_payment_create,
)
from providers.tripay.adapter import parse_tripay_callback

CHANNEL = PaymentChannel(code=METHOD, name=METHOD_NAME, group="Sandbox")


class SandboxGateway(GatewayAdapter):
    code = CODE

    def __init__(self, *, private_key: str, site_url: str):
        self.private_key = private_key
        self.site_url = site_url.rstrip("/")

    @classmethod
    def from_settings(cls) -> "SandboxGateway":
        """NotConfigured unless simulators are on (the sandbox takes no real money)."""
        if not settings.SIMULATORS_ENABLED:
            raise NotConfigured(
                "sandbox is only available with SIMULATORS_ENABLED on.", code="not_configured"
            )
        values = require_settings(CODE, "TRIPAY_PRIVATE_KEY")
        return cls(private_key=values["TRIPAY_PRIVATE_KEY"], site_url=settings.SITE_URL)

    def payment_channels(self) -> list[PaymentChannel]:
        return [CHANNEL]

    def create_payment(self, request: PaymentRequest) -> PaymentInstructions:
        """Store the payment; its page is `{SITE_URL}/sim/sandbox/pay/<reference>`."""
        sim_order = sandbox_payment_create(request)
        return PaymentInstructions(
            reference=sim_order.external_id,
            checkout_url=f"{self.site_url}/sim/sandbox/pay/{sim_order.external_id}",
            instructions=INSTRUCTIONS,
            status=PaymentStatus.UNPAID,
            expires_at=sim_order.resolve_at,
            raw={"reference": sim_order.external_id, **sim_order.request},
        )

    def parse_callback(self, *, body: bytes, headers: Mapping[str, str]) -> PaymentCallback:
        return parse_tripay_callback(body=body, headers=headers, private_key=self.private_key)
