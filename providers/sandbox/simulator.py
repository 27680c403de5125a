"""The sandbox gateway's payment page, for `make run` and the tests.

A sandbox payment is a SimulatedOrder (provider "sandbox", reference = merchant_ref,
external_id = the sandbox reference "SBX..."). `pay/<reference>` shows the amount and the
order with Pay and Fail buttons (and "Paid, callback lost", which pays and sends nothing);
a press sends a Tripay-format signed callback to the callback_url given at creation (so
the shop's Tripay callback view serves both gateways), then goes to the return_url. An
unpaid payment expires at its expiry time with an EXPIRED callback from
`simulators_resolve_due`. The settling, callback and page code is
`providers.tripay.simulator_checkout`, shared with the Tripay simulator.
"""

import secrets
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from providers.base import PaymentRequest, PaymentStatus
from providers.models import SimulatedOrder
from providers.simulators import simulator_resolver
from providers.tripay.simulator_checkout import (
    DEFAULT_EXPIRY,
    PAY_CALLBACK_LOST,
    PAY_OR_FAIL_ACTIONS,
    payment_callback_send,
    payment_page,
)

CODE = "sandbox"
METHOD = "SANDBOX"
METHOD_NAME = "Sandbox payment"
INSTRUCTIONS = [{"title": "Sandbox", "steps": ["Press Pay to pay, or Fail to refuse."]}]


def sandbox_payment_create(request: PaymentRequest) -> SimulatedOrder:
    """Store an UNPAID sandbox payment for `request.merchant_ref` (a second one for the same
    merchant_ref replaces the first, as for the Tripay simulator) and return it."""
    expires_at = request.expires_at or timezone.now() + DEFAULT_EXPIRY
    amount = Decimal(request.amount)
    sim_order, _ = SimulatedOrder.objects.update_or_create(
        provider=CODE,
        reference=request.merchant_ref,
        defaults={
            "external_id": f"SBX{secrets.token_hex(8).upper()}",
            "status": PaymentStatus.UNPAID,
            "request": {
                "method": METHOD,
                "requested_method": request.method,
                "merchant_ref": request.merchant_ref,
                "amount": str(amount),
                "customer_name": request.customer_name,
                "customer_email": request.customer_email,
                "customer_phone": request.customer_phone,
                "order_items": [
                    {
                        "sku": item.sku,
                        "name": item.name,
                        "price": str(item.price),
                        "quantity": item.quantity,
                    }
                    for item in request.items
                ],
                "return_url": request.return_url,
                "callback_url": request.callback_url,
                "expired_time": int(expires_at.timestamp()),
            },
            "state": {
                # whole amounts as integers, like Tripay's; a fraction stays a decimal string
                "amount": int(amount) if amount == amount.to_integral_value() else str(amount),
                "fee_merchant": 0,
                "fee_customer": 0,
                "payment_name": METHOD_NAME,
                "expired_time": int(expires_at.timestamp()),
                "pay_code": None,
                "qr_string": None,
                "instructions": INSTRUCTIONS,
            },
            "final_status": PaymentStatus.EXPIRED,
            "resolve_at": expires_at,
            "callback_url": request.callback_url,
            "callback_sent_at": None,
        },
    )
    return sim_order


simulator_resolver(CODE)(payment_callback_send)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def pay_view(request: HttpRequest, reference: str) -> HttpResponse:
    return payment_page(
        request,
        provider=CODE,
        reference=reference,
        gateway_name="Sandbox payment",
        actions={**PAY_OR_FAIL_ACTIONS, PAY_CALLBACK_LOST: PaymentStatus.PAID},
    )


urlpatterns = [
    path("pay/<str:reference>", pay_view, name="sandbox-sim-pay"),
]
