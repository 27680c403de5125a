"""The sandbox gateway: a built-in payment page that stands in for Tripay in `make run` and the
tests. It exists only where SIMULATORS_ENABLED is on, and speaks Tripay's callback format
(signed with TRIPAY_PRIVATE_KEY), so the shop's Tripay callback view serves it too. Its
payment status is read from its simulator's table (the sandbox has no API to call)."""

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from providers.base import (
    FinalProviderError,
    GatewayAdapter,
    NotConfigured,
    PaymentCallback,
    PaymentChannel,
    PaymentInstructions,
    PaymentRequest,
    PaymentStatus,
)
from providers.config import require_settings
from providers.models import SimulatedOrder
from providers.sandbox.simulator import (
    CODE,
    INSTRUCTIONS,
    METHOD,
    METHOD_NAME,
    sandbox_payment_create,
)
from providers.tripay.adapter import parse_tripay_callback
from providers.tripay.simulator_checkout import payment_current, payment_paid_at

CHANNEL = PaymentChannel(code=METHOD, name=METHOD_NAME, group="Sandbox")


class SandboxGateway(GatewayAdapter):
    code = CODE
    takes_shop_expiry = True  # `expired_time` in the create request

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

    def payment_status(self, *, reference: str) -> PaymentCallback:
        """The sandbox payment as its simulator holds it now (a due expiry resolved first);
        FinalProviderError for a reference the sandbox never made."""
        try:
            sim_order = payment_current(provider=CODE, reference=reference)
        except SimulatedOrder.DoesNotExist:
            raise FinalProviderError(f"No sandbox payment {reference}", code="not_found") from None
        state = sim_order.state
        total = Decimal(str(state["amount"])) + Decimal(str(state.get("fee_customer", 0)))
        paid_at = payment_paid_at(sim_order)
        expired_time = state.get("expired_time")
        return PaymentCallback(
            merchant_ref=sim_order.reference,
            reference=sim_order.external_id,
            status=PaymentStatus(sim_order.status),
            amount_received=total - Decimal(str(state.get("fee_merchant", 0))),
            total_amount=total,
            payment_method=sim_order.request.get("method", ""),
            paid_at=datetime.fromtimestamp(paid_at, tz=UTC) if paid_at else None,
            raw={"reference": sim_order.external_id, "status": sim_order.status},
            expires_at=datetime.fromtimestamp(expired_time, tz=UTC) if expired_time else None,
        )
