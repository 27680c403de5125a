"""A simulated payment gateway's side of a payment, shared by the Tripay simulator and the
sandbox gateway (which speaks Tripay's callback format).

- `payment_settle` moves a simulated payment (a SimulatedOrder) to PAID, FAILED, EXPIRED or
  REFUND under a row lock and sends Tripay's signed payment-status callback;
- `payment_callback_send` sends that callback for the payment's current status (also the
  `simulators_resolve_due` resolver: expiry, scripted pending outcomes), unless the payment
  is marked `callback_lost` (the "paid, callback lost" scenario: the gateway's status
  answer is then the only way the shop learns of the payment);
- `payment_current` is the payment as the gateway's status answer sees it now;
- `payment_page` is the checkout page with one button per action.

A payment's `state` holds amount, fee_merchant, fee_customer (integers, or a decimal string
for a fraction), payment_name, expired_time, pay_code, qr_string and instructions; its
`request` holds method and return_url.
"""

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from providers.base import PaymentStatus
from providers.models import SimulatedOrder
from providers.simulators import simulator_resolve_if_due
from providers.tripay import webhook

logger = logging.getLogger(__name__)

DEFAULT_EXPIRY = timedelta(hours=24)  # Tripay's default when expired_time is not sent
CALLBACK_TIMEOUT_SECONDS = 5
# Which status a payment may move to from which (REFUND only after PAID).
NEXT_STATUSES = {
    PaymentStatus.UNPAID: {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.EXPIRED},
    PaymentStatus.PAID: {PaymentStatus.REFUND},
}
CALLBACK_NOTES = {
    PaymentStatus.PAID: "Transaksi sukses",
    PaymentStatus.FAILED: "Transaksi gagal",
    PaymentStatus.EXPIRED: "Transaksi kedaluwarsa",
    PaymentStatus.REFUND: "Transaksi dikembalikan",
}
PAY_OR_FAIL_ACTIONS = {"pay": PaymentStatus.PAID, "fail": PaymentStatus.FAILED}
# Pays without a callback: as if the shop were down through all of the gateway's retries.
PAY_CALLBACK_LOST = "pay_callback_lost"
ACTION_LABELS = {
    "pay": "Pay",
    "fail": "Fail",
    "expire": "Expire",
    PAY_CALLBACK_LOST: "Paid, callback lost",
}


class PaymentStateError(Exception):
    """The simulated payment cannot move to the asked status (e.g. paying an expired one)."""


def payment_settle(
    *, provider: str, reference: str, status: str, callback_lost: bool = False
) -> SimulatedOrder:
    """Move the simulated payment `reference` (gateway reference or merchant_ref) to `status`
    under a row lock, then send its signed callback (never, with `callback_lost`).

    Raises SimulatedOrder.DoesNotExist for an unknown reference and PaymentStateError when the
    move is not allowed (so a double press sends one callback)."""
    status = PaymentStatus(status)
    with transaction.atomic():
        sim_order = (
            SimulatedOrder.objects.select_for_update()
            .filter(provider=provider)
            .filter(Q(external_id=reference) | Q(reference=reference))
            .order_by("-pk")
            .first()
        )
        if sim_order is None:
            raise SimulatedOrder.DoesNotExist(f"no {provider} payment {reference}")
        if status not in NEXT_STATUSES.get(sim_order.status, set()):
            raise PaymentStateError(
                f"The payment is {sim_order.status}; it cannot become {status}."
            )
        sim_order.status = status
        sim_order.resolve_at = None
        sim_order.final_status = ""
        if status == PaymentStatus.PAID:
            sim_order.state = {**sim_order.state, "paid_at": int(time.time())}
        if callback_lost:
            sim_order.state = {**sim_order.state, "callback_lost": True}
        sim_order.save(
            update_fields=["status", "resolve_at", "final_status", "state", "updated_at"]
        )
    payment_callback_send(sim_order)
    return sim_order


def payment_callback_body(sim_order: SimulatedOrder) -> bytes:
    """The exact bytes of Tripay's payment-status callback for the payment's current status."""
    state = sim_order.state
    amount = Decimal(str(state["amount"]))
    fee_merchant = Decimal(str(state["fee_merchant"]))
    fee_customer = Decimal(str(state["fee_customer"]))
    paid_at = state.get("paid_at")
    if paid_at is None and sim_order.status == PaymentStatus.PAID:
        paid_at = int(time.time())  # paid by the pending scenario's resolver
    body = {
        "reference": sim_order.external_id,
        "merchant_ref": sim_order.reference,
        "payment_method": state["payment_name"],
        "payment_method_code": sim_order.request.get("method"),
        "total_amount": _number(amount + fee_customer),
        "fee_merchant": _number(fee_merchant),
        "fee_customer": _number(fee_customer),
        "total_fee": _number(fee_merchant + fee_customer),
        "amount_received": _number(amount - fee_merchant),
        "is_closed_payment": 1,
        "status": sim_order.status,
        "paid_at": paid_at
        if sim_order.status in (PaymentStatus.PAID, PaymentStatus.REFUND)
        else None,
        "note": CALLBACK_NOTES.get(sim_order.status),
    }
    # Compact, as PHP's json_encode writes it.
    return json.dumps(body, separators=(",", ":")).encode()


def _number(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else str(value)


def payment_callback_send(sim_order: SimulatedOrder) -> None:
    """POST the signed callback to the payment's callback_url once (errors logged, not raised);
    `callback_sent_at` is set when the shop answered, with its HTTP status kept in state."""
    if sim_order.state.get("callback_lost"):
        logger.info("simulated %s payment %s: callback lost", sim_order.provider, sim_order)
        return
    if not sim_order.callback_url:
        logger.warning("simulated %s payment %s has no callback_url", sim_order.provider, sim_order)
        return
    body = payment_callback_body(sim_order)
    try:
        reply = requests.post(
            sim_order.callback_url,
            data=body,
            headers=webhook.callback_headers(settings.TRIPAY_PRIVATE_KEY, body),
            timeout=CALLBACK_TIMEOUT_SECONDS,
        )
    except requests.RequestException:
        logger.exception(
            "simulated %s callback to %s failed", sim_order.provider, sim_order.callback_url
        )
        return
    sim_order.callback_sent_at = timezone.now()
    sim_order.state = {**sim_order.state, "callback_reply_status": reply.status_code}
    sim_order.save(update_fields=["callback_sent_at", "state", "updated_at"])


def payment_current(*, provider: str, reference: str) -> SimulatedOrder:
    """The simulated payment with the gateway reference `reference` as it stands now (a due
    scripted outcome or expiry resolved first, as the real gateway's clock would have);
    SimulatedOrder.DoesNotExist when the gateway never made it."""
    sim_order = SimulatedOrder.objects.get(provider=provider, external_id=reference)
    return simulator_resolve_if_due(sim_order)


def payment_paid_at(sim_order: SimulatedOrder) -> int | None:
    """The unix time the payment was paid, or None when it is not (or was never) paid."""
    if sim_order.status not in (PaymentStatus.PAID, PaymentStatus.REFUND):
        return None
    return sim_order.state.get("paid_at") or int(sim_order.updated_at.timestamp())


def payment_page(
    request: HttpRequest, *, provider: str, reference: str, gateway_name: str, actions: dict
) -> HttpResponse:
    """GET: the payment with one button per action. POST `action=<name>`: settle the payment
    with that action's status (callback sent), then go to its return_url."""
    sim_order = SimulatedOrder.objects.filter(provider=provider, external_id=reference).first()
    if sim_order is None:
        return HttpResponse("Unknown payment reference", status=404, content_type="text/plain")
    if request.method == "POST":
        status = actions.get(request.POST.get("action", ""))
        if status is None:
            return _render_page(request, sim_order, gateway_name, actions, "Unknown action.", 400)
        try:
            sim_order = payment_settle(
                provider=provider,
                reference=reference,
                status=status,
                callback_lost=request.POST.get("action") == PAY_CALLBACK_LOST,
            )
        except PaymentStateError as exc:
            return _render_page(request, sim_order, gateway_name, actions, str(exc), 409)
        return redirect(sim_order.request.get("return_url") or request.path)
    return _render_page(request, sim_order, gateway_name, actions, "", 200)


def _render_page(request, sim_order, gateway_name, actions, message, status) -> HttpResponse:
    state = sim_order.state
    amount = Decimal(str(state["amount"])) + Decimal(str(state.get("fee_customer", 0)))
    expired_time = state.get("expired_time")
    context = {
        "gateway_name": gateway_name,
        "merchant_ref": sim_order.reference,
        "reference": sim_order.external_id,
        "amount": _number(amount),
        "amount_display": f"{amount:,}".replace(",", "."),
        "payment_name": state.get("payment_name", ""),
        "pay_code": state.get("pay_code"),
        "qr_string": state.get("qr_string"),
        "status": sim_order.status,
        "expires_at": datetime.fromtimestamp(expired_time, tz=UTC) if expired_time else None,
        "instructions": state.get("instructions", []),
        "can_act": sim_order.status == PaymentStatus.UNPAID,
        "actions": [(name, ACTION_LABELS[name]) for name in actions],
        "return_url": sim_order.request.get("return_url", ""),
        "message": message,
    }
    return render(request, "sandbox/checkout.html", context, status=status)
