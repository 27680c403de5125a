# Over 400 lines: Tripay's whole simulated API (channels, create, detail, callbacks) in one room.
"""The Tripay simulator: Tripay's real paths under /sim/tripay/api, its checkout page, and its
signed payment-status callbacks.

- `GET api/merchant/payment-channel` and `POST api/transaction/create` check the Bearer API
  key (401 "Invalid API Key") and the create signature (400 "Invalid signature") with the
  settings the adapter uses, and answer with Tripay's real reply shapes.
- A created transaction is a SimulatedOrder (provider "tripay", reference = merchant_ref,
  external_id = the Tripay reference "T0001...") with an UNPAID status that expires at its
  `expired_time` (the EXPIRED callback then goes out from `simulators_resolve_due`).
- `GET api/transaction/detail?reference=<Tripay reference>` checks the API key and answers
  with the transaction and its current status (UNPAID, PAID, EXPIRED, FAILED, REFUND), as
  Tripay's detail does; an unknown reference gets 404 "Transaction not found" (inferred).
- `checkout/<reference>` shows the transaction with Pay, Fail, Expire and "Paid, callback
  lost" buttons; each sends the signed callback to the transaction's callback_url (the
  last one does not) and returns to its return_url.
- `simulate_tripay_payment(reference, status)` does the same from tests and demos
  (`callback_lost=True`: paid, no callback).

Settling, callbacks and the page itself live in `simulator_checkout` (shared with the sandbox
gateway). Scripted outcomes follow `providers.simulators` by the customer_phone
suffix: 91/92 pay or fail on their own after SIMULATOR_PENDING_SECONDS, 93 refusal, 94 slow,
95 HTTP 500, 96 HTTP 429, 97 malformed JSON, 98 connection reset (94, 97, 98 after the
transaction is created); and, for Tripay only, 90: paid after SIMULATOR_PENDING_SECONDS with
the callback lost (only `transaction/detail` tells the shop).
"""

import io
import json
import re
import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from providers.base import PaymentStatus
from providers.models import SimulatedOrder
from providers.simulators import (
    Scenario,
    scenario_for,
    scripted_reply,
    simulator_resolver,
)
from providers.tripay import webhook
from providers.tripay.client import CODE
from providers.tripay.simulator_checkout import (
    DEFAULT_EXPIRY,
    PAY_CALLBACK_LOST,
    PAY_OR_FAIL_ACTIONS,
    payment_callback_send,
    payment_current,
    payment_page,
    payment_paid_at,
    payment_settle,
)

TRIPAY_CHECKOUT_ACTIONS = {
    **PAY_OR_FAIL_ACTIONS,
    "expire": PaymentStatus.EXPIRED,
    PAY_CALLBACK_LOST: PaymentStatus.PAID,
}
# The customer_phone ending that pays on its own with the callback lost (Tripay only: the
# shared scenario table has no such case for upstreams).
PAID_CALLBACK_LOST_SUFFIX = "90"


def _channel(group, code, name, kind, flat, percent, min_amount, max_amount) -> dict:
    fee = {"flat": flat, "percent": percent}
    return {
        "group": group,
        "code": code,
        "name": name,
        "type": kind,
        "fee_merchant": fee,
        "fee_customer": {"flat": 0, "percent": 0},
        "total_fee": {"flat": flat, "percent": f"{percent:.2f}"},
        "minimum_fee": flat,
        "maximum_fee": None,
        "minimum_amount": min_amount,
        "maximum_amount": max_amount,
        "icon_url": "",
        "active": True,
    }


CHANNELS = [
    _channel("E-Wallet", "QRIS", "QRIS", "direct", 750, 0.7, 1_000, 5_000_000),
    _channel(
        "Virtual Account", "BRIVA", "BRI Virtual Account", "direct", 4250, 0, 10_000, 10_000_000
    ),
    _channel(
        "Virtual Account", "BNIVA", "BNI Virtual Account", "direct", 4250, 0, 10_000, 10_000_000
    ),
    _channel(
        "Virtual Account",
        "MANDIRIVA",
        "Mandiri Virtual Account",
        "direct",
        4250,
        0,
        10_000,
        10_000_000,
    ),
    _channel("E-Wallet", "OVO", "OVO", "redirect", 0, 3, 1_000, 10_000_000),
    _channel("Convenience Store", "ALFAMART", "Alfamart", "direct", 3500, 0, 10_000, 2_500_000),
]
CHANNELS_BY_CODE = {channel["code"]: channel for channel in CHANNELS}
PAY_CODE_METHODS = frozenset({"BRIVA", "BNIVA", "MANDIRIVA", "ALFAMART"})
QR_METHODS = frozenset({"QRIS"})
REQUIRED_FIELDS = (
    "method",
    "merchant_ref",
    "amount",
    "customer_name",
    "customer_email",
    "order_items",
    "signature",
)


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"success": False, "message": message}, status=status)


def _auth_error(request: HttpRequest) -> JsonResponse | None:
    supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not secrets.compare_digest(supplied.encode(), settings.TRIPAY_API_KEY.encode()):
        return _error(401, "Invalid API Key")
    return None


@csrf_exempt
@require_GET
def payment_channel_view(request: HttpRequest) -> JsonResponse:
    if error := _auth_error(request):
        return error
    return JsonResponse({"success": True, "message": "Success", "data": CHANNELS})


@csrf_exempt
@require_POST
def transaction_create_view(request: HttpRequest) -> HttpResponse:
    if error := _auth_error(request):
        return error
    try:
        fields = _request_fields(request)
    except ValueError:
        return _error(400, "Invalid request body")
    # Tripay's validation wording is not public: these messages are inferred.
    missing = [name for name in REQUIRED_FIELDS if fields.get(name) in (None, "", [], {})]
    if missing:
        return _error(400, f"The {missing[0].replace('_', ' ')} field is required.")
    channel = CHANNELS_BY_CODE.get(str(fields["method"]))
    if channel is None:
        return _error(400, "Payment channel is not available")
    try:
        amount = int(str(fields["amount"]))
        items_total = sum(
            int(str(item["price"])) * int(str(item["quantity"])) for item in fields["order_items"]
        )
    except (KeyError, TypeError, ValueError):
        return _error(400, "The amount and the order items must be whole numbers.")
    signature_ok = webhook.verify_create_signature(
        private_key=settings.TRIPAY_PRIVATE_KEY,
        merchant_code=settings.TRIPAY_MERCHANT_CODE,
        merchant_ref=str(fields["merchant_ref"]),
        amount=amount,
        signature=str(fields["signature"]),
    )
    if not signature_ok:
        return _error(400, "Invalid signature")
    if items_total != amount:
        return _error(400, "Total price of the order items does not match the amount")
    if not channel["minimum_amount"] <= amount <= channel["maximum_amount"]:
        return _error(
            400,
            f"Amount must be between {channel['minimum_amount']} and {channel['maximum_amount']}",
        )

    scenario = scenario_for(str(fields.get("customer_phone") or ""))
    if scenario == Scenario.SERVER_ERROR:
        return _error(500, "Internal Server Error")
    if scenario == Scenario.RATE_LIMITED:
        return _error(429, "Too Many Requests")
    if scenario == Scenario.FAILURE:
        return _error(400, "Payment channel is under maintenance")
    callback_lost = re.sub(r"\D", "", str(fields.get("customer_phone") or "")).endswith(
        PAID_CALLBACK_LOST_SUFFIX
    )
    sim_order = _store_transaction(request, fields, channel, amount, scenario, callback_lost)
    reply = {"success": True, "message": "", "data": transaction_data(request, sim_order)}
    return scripted_reply(scenario, lambda: JsonResponse(reply))


@csrf_exempt
@require_GET
def transaction_detail_view(request: HttpRequest) -> JsonResponse:
    """Tripay's `transaction/detail`: the transaction by its Tripay reference, its status as
    it stands now (a due outcome or expiry resolved first)."""
    if error := _auth_error(request):
        return error
    reference = request.GET.get("reference", "")
    if not reference:
        return _error(400, "The reference field is required.")
    try:
        sim_order = payment_current(provider=CODE, reference=reference)
    except SimulatedOrder.DoesNotExist:
        return _error(404, "Transaction not found")
    paid_at = payment_paid_at(sim_order)
    data = {
        **transaction_data(request, sim_order),
        # Tripay's detail example sends paid_at as a digit string.
        "paid_at": str(paid_at) if paid_at is not None else None,
    }
    return JsonResponse({"success": True, "message": "", "data": data})


def _request_fields(request: HttpRequest) -> dict:
    """The create fields, from JSON or from a form post (`order_items[0][sku]=...`), as the
    real API takes both."""
    if request.content_type == "application/json":
        fields = json.loads(request.body)
        if not isinstance(fields, dict):
            raise ValueError("not an object")
        return fields
    fields: dict = {}
    items: dict[int, dict] = {}
    for key, value in request.POST.items():
        if match := re.fullmatch(r"order_items\[(\d+)\]\[(\w+)\]", key):
            items.setdefault(int(match[1]), {})[match[2]] = value
        else:
            fields[key] = value
    fields["order_items"] = [items[index] for index in sorted(items)]
    return fields


def _store_transaction(
    request, fields, channel, amount, scenario, callback_lost=False
) -> SimulatedOrder:
    """Keep the transaction. Tripay accepts a merchant_ref twice (two transactions); the
    simulator's table is keyed by merchant_ref, so a second create replaces the first."""
    reference = f"{settings.TRIPAY_MERCHANT_CODE}{secrets.randbelow(10**15):015d}"
    method = channel["code"]
    fees = channel["fee_merchant"]
    fee_merchant = int(
        (fees["flat"] + amount * Decimal(str(fees["percent"])) / 100).quantize(
            Decimal("1"), rounding=ROUND_HALF_UP
        )
    )
    expired_time = int(fields.get("expired_time") or time.time() + DEFAULT_EXPIRY.total_seconds())
    pay_code = f"{secrets.randbelow(10**16):016d}" if method in PAY_CODE_METHODS else None
    # Pending scenarios pay (or fail) on their own; otherwise the transaction expires.
    final_status, resolve_at = {
        Scenario.PENDING_SUCCESS: (PaymentStatus.PAID, _pending_until()),
        Scenario.PENDING_FAILURE: (PaymentStatus.FAILED, _pending_until()),
    }.get(scenario, (PaymentStatus.EXPIRED, datetime.fromtimestamp(expired_time, tz=UTC)))
    if callback_lost:
        final_status, resolve_at = PaymentStatus.PAID, _pending_until()
    stored_request = {key: value for key, value in fields.items() if key != "signature"}
    sim_order, _ = SimulatedOrder.objects.update_or_create(
        provider=CODE,
        reference=str(fields["merchant_ref"]),
        defaults={
            "external_id": reference,
            "status": PaymentStatus.UNPAID,
            "request": stored_request,
            "state": {
                "amount": amount,
                "fee_merchant": fee_merchant,
                "fee_customer": 0,
                "payment_name": channel["name"],
                "expired_time": expired_time,
                "pay_code": pay_code,
                "qr_string": _qr_string(reference, amount) if method in QR_METHODS else None,
                "instructions": _instructions(method, pay_code),
                "request_id": request.headers.get("X-Request-Id", ""),
                **({"callback_lost": True} if callback_lost else {}),
            },
            "final_status": final_status,
            "resolve_at": resolve_at,
            "callback_url": str(fields.get("callback_url") or ""),
            "callback_sent_at": None,
        },
    )
    return sim_order


def _pending_until() -> datetime:
    return timezone.now() + timedelta(seconds=settings.SIMULATOR_PENDING_SECONDS)


def _qr_string(reference: str, amount: int) -> str:
    # Shaped like an EMV QRIS payload; no app can pay it.
    return f"00020101021226610016ID.CO.SIMULATOR0118{reference}5303360540{len(str(amount))}{amount}"


def transaction_data(request: HttpRequest, sim_order: SimulatedOrder) -> dict:
    """The `data` object of Tripay's create and detail replies for a stored transaction."""
    fields, state = sim_order.request, sim_order.state
    amount, fee_merchant, fee_customer = (
        state["amount"],
        state["fee_merchant"],
        state["fee_customer"],
    )
    method = fields["method"]
    return {
        "reference": sim_order.external_id,
        "merchant_ref": sim_order.reference,
        "payment_selection_type": "static",
        "payment_method": method,
        "payment_name": state["payment_name"],
        "customer_name": fields.get("customer_name"),
        "customer_email": fields.get("customer_email"),
        "customer_phone": fields.get("customer_phone"),
        "callback_url": sim_order.callback_url or None,
        "return_url": fields.get("return_url"),
        "amount": amount + fee_customer,
        "fee_merchant": fee_merchant,
        "fee_customer": fee_customer,
        "total_fee": fee_merchant + fee_customer,
        "amount_received": amount - fee_merchant,
        "pay_code": state["pay_code"],
        "pay_url": None,
        "checkout_url": request.build_absolute_uri(
            reverse("tripay-sim-checkout", args=[sim_order.external_id])
        ),
        "status": sim_order.status,
        "expired_time": state["expired_time"],
        "order_items": [
            {**item, "subtotal": int(str(item["price"])) * int(str(item["quantity"]))}
            for item in fields["order_items"]
        ],
        "instructions": state["instructions"],
        "qr_string": state["qr_string"],
        "qr_url": (
            request.build_absolute_uri(reverse("tripay-sim-qr", args=[sim_order.external_id]))
            if state["qr_string"]
            else None
        ),
    }


def _instructions(method: str, pay_code: str | None) -> list[dict]:
    if method in QR_METHODS:
        steps = ["Open an app that pays QRIS", "Scan the QR code", "Check the amount and pay"]
    elif pay_code:
        steps = [
            "Open your bank's app, or go to the counter",
            f"Choose to pay a virtual account or payment code and enter {pay_code}",
            "Check the amount and pay",
        ]
    else:
        steps = ["Open the checkout page", "Confirm the payment in the app"]
    return [{"title": "Cara pembayaran", "steps": steps}]


@require_GET
def qr_view(request: HttpRequest, reference: str) -> HttpResponse:
    """The QR image of a QRIS transaction, where Tripay serves it (its `qr_url`): the code
    of the transaction's `qr_string`, as SVG; 404 for an unknown or non-QR transaction."""
    sim_order = SimulatedOrder.objects.filter(provider=CODE, external_id=reference).first()
    qr_string = (sim_order.state.get("qr_string") if sim_order else None) or ""
    if not qr_string:
        return HttpResponse("Unknown QR reference", status=404, content_type="text/plain")
    buffer = io.BytesIO()
    segno.make_qr(qr_string, error="m").save(buffer, kind="svg", scale=5, border=4, light="#fff")
    return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


simulator_resolver(CODE)(payment_callback_send)


def simulate_tripay_payment(
    reference: str, status: str = PaymentStatus.PAID, *, callback_lost: bool = False
) -> SimulatedOrder:
    """Pay (or fail, expire, refund) a simulated Tripay transaction by its Tripay reference or
    merchant_ref, sending the signed callback (none with `callback_lost`), as the checkout
    page's buttons do."""
    return payment_settle(
        provider=CODE, reference=reference, status=status, callback_lost=callback_lost
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def checkout_view(request: HttpRequest, reference: str) -> HttpResponse:
    return payment_page(
        request,
        provider=CODE,
        reference=reference,
        gateway_name="Tripay checkout (simulator)",
        actions=TRIPAY_CHECKOUT_ACTIONS,
    )


urlpatterns = [
    path("api/merchant/payment-channel", payment_channel_view),
    path("api/transaction/create", transaction_create_view),
    path("api/transaction/detail", transaction_detail_view),
    path("checkout/<str:reference>", checkout_view, name="tripay-sim-checkout"),
    path("qr/<str:reference>", qr_view, name="tripay-sim-qr"),
]
