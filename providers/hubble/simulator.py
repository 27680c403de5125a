# Over 400 lines: Hubble's whole simulated API (login, brands, orders, wallet) in one room.
"""A Hubble partners API for the demo and the tests, at /sim/hubble/v1/partners/...

Speaks docs/providers/hubble.md: login with the client id and secret from settings (the same
ones the adapter sends), bearer tokens kept in Django's cache with their expiry, the brand
list in pages, orders idempotent on referenceId (the same referenceId returns the existing
order), the partner wallet (an order is debited its gross face amount, as Hubble's wallet
page documents for production), and the callbacks signed with `X-Verify`.

Scenarios by the last two digits of customerDetails.phoneNumber, or of the e-mail's local
part when there is no phone (providers.simulators), and one of Hubble's own: ending in 90,
the order succeeds at once and is REVERSED by hand after SIMULATOR_PENDING_SECONDS (the
order-status callback `{"id", "status": "REVERSED"}` is sent; the order keeps listing its
vouchers). Tokens and the wallet are in providers.hubble.simulator_state (with their test
hooks), the brands in simulator_catalog. Demo hooks here: PAGE_SIZE, send_brand_updated,
send_low_balance, send_order_status, reverse_order.
"""

import json
import logging
import secrets
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from providers.hubble import simulator_catalog, simulator_state
from providers.hubble.catalog import FLEXIBLE, brand_denominations, to_decimal
from providers.hubble.webhook import SIGNATURE_HEADER, sign
from providers.models import SimulatedOrder
from providers.simulators import (
    PENDING_SCENARIOS,
    Scenario,
    pending_resolve_at,
    scenario_for,
    scripted_reply,
    simulator_resolve_if_due,
    simulator_resolver,
)

logger = logging.getLogger(__name__)

CODE = "hubble"
PAGE_SIZE = 3  # the most brands one page holds, whatever `limit` asks (so the demo pages)
ORDER_STATUS_PATH = "/api/webhooks/hubble/order-status"
BRAND_UPDATED_PATH = "/api/webhooks/hubble/brand-updated"  # (inferred: the shop's choice)
LOW_BALANCE_PATH = "/api/webhooks/hubble/low-balance"  # (inferred: the shop's choice)
# customerDetails ending in this: success, then REVERSED by hand (module docstring)
REVERSED_LATER_SUFFIX = "90"


# --- replies ------------------------------------------------------------------------------
def error_response(
    request: HttpRequest, status: int, error_id: str, code: str, message: str, sub_errors=()
) -> JsonResponse:
    """Hubble's error body. Ids other than the documented E-codes (E400, E401, E429, E500)
    are the simulator's own: Hubble documents no body for those statuses."""
    body = {
        "id": error_id,
        "code": code,
        "message": message,
        "requestId": request.headers.get("X-REQUEST-ID", ""),
        "debugMessage": message,
        "subErrors": list(sub_errors),
    }
    response = JsonResponse(body, status=status)
    if status == 429:
        response["Retry-After"] = "1"
    return response


def _field_error(field_name: str, message: str) -> dict:
    return {"fieldName": field_name, "message": message, "debugMessage": message}


def bearer_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if not simulator_state.token_is_valid(token):
            return error_response(request, 401, "E401", "UNAUTHORIZED", "Invalid or expired token")
        return view(request, *args, **kwargs)

    return wrapper


# --- views: auth, brands, wallet -------------------------------------------------------------
def _json_body(request: HttpRequest) -> dict | None:
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@csrf_exempt
@require_POST
def login(request: HttpRequest) -> JsonResponse:
    body = _json_body(request) or {}
    missing = [key for key in ("clientId", "clientSecret") if not body.get(key)]
    if missing:
        subs = [_field_error(key, "must not be blank") for key in missing]
        return error_response(request, 400, "E400", "BAD_REQUEST", "Missing fields", subs)
    if not (
        secrets.compare_digest(str(body["clientId"]), settings.HUBBLE_CLIENT_ID)
        and secrets.compare_digest(str(body["clientSecret"]), settings.HUBBLE_CLIENT_SECRET)
    ):
        return error_response(request, 401, "E401", "UNAUTHORIZED", "Invalid client credentials")
    token, lifetime = simulator_state.issue_token(str(body["clientId"]))
    return JsonResponse({"token": token, "expiresInSecs": lifetime})


@require_GET
@bearer_required
def products(request: HttpRequest) -> JsonResponse:
    try:
        offset = int(request.GET.get("cursor") or 0)
        limit = max(1, min(int(request.GET.get("limit") or 100), 100))
    except ValueError:
        return error_response(request, 400, "E400", "BAD_REQUEST", "Invalid cursor or limit")
    brands = simulator_catalog.all_brands()
    page_size = min(limit, PAGE_SIZE)
    end = offset + page_size
    next_cursor = str(end) if end < len(brands) else None
    return JsonResponse({"data": brands[offset:end], "nextCursor": next_cursor})


@require_GET
@bearer_required
def balance(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"balance": float(simulator_state.wallet_balance())})


# --- orders -------------------------------------------------------------------------------
def order_json(sim_order: SimulatedOrder) -> dict:
    """The Order object as Hubble returns it."""
    return {
        "id": sim_order.external_id,
        "referenceId": sim_order.reference,
        "status": sim_order.status,
        "vouchers": sim_order.state.get("vouchers", []),
        "failureReason": sim_order.state.get("failureReason"),
    }


def _order_problem(request: HttpRequest, body: dict) -> JsonResponse | None:
    """Hubble's validation of an order body, in its order: fields, product, amounts."""
    reference = str(body.get("referenceId") or "")
    details = body.get("denominationDetails")
    if not body.get("productId") or not reference or not isinstance(details, list) or not details:
        subs = [
            _field_error(key, "must not be blank")
            for key in ("productId", "referenceId", "denominationDetails")
            if not body.get(key)
        ]
        return error_response(request, 400, "E157", "INVALID_ORDER", "Invalid order", subs)
    if len(reference) > 40:
        subs = [_field_error("referenceId", "at most 40 characters")]
        return error_response(request, 400, "E157", "INVALID_ORDER", "Invalid order", subs)
    brand = simulator_catalog.brand_by_id(str(body["productId"]))
    if brand is None:
        return error_response(request, 404, "E001", "RESOURCE_NOT_FOUND", "Product not found")
    if brand["status"] != "ACTIVE":
        return error_response(request, 400, "E102", "BRAND_NOT_ACTIVE", "Brand is not active")
    return _amount_problem(request, brand, body, details)


def _amount_problem(request, brand: dict, body: dict, details: list) -> JsonResponse | None:
    rules = brand["amountRestrictions"]
    total, vouchers = Decimal(0), 0
    if len(details) > rules["maxDenominationsPerOrder"]:
        return error_response(request, 400, "E153", "TOO_MANY_DENOMINATIONS", "Too many")
    for item in details:
        denomination = to_decimal(item.get("denomination")) if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if denomination is None or not isinstance(quantity, int) or quantity < 1:
            return error_response(request, 400, "E157", "INVALID_ORDER", "Bad denomination")
        if brand["denominationType"] == FLEXIBLE:
            if not rules["minVoucherAmount"] <= denomination <= rules["maxVoucherAmount"]:
                return error_response(
                    request, 400, "E155", "VOUCHER_AMOUNT_OUT_OF_RANGE", "Amount out of range"
                )
        elif denomination not in brand_denominations(brand):
            return error_response(
                request, 400, "E150", "DENOMINATION_NOT_AVAILABLE", "Denomination not available"
            )
        if quantity > rules["maxVouchersPerDenomination"]:
            return error_response(request, 400, "E154", "TOO_MANY_VOUCHERS", "Too many")
        total += denomination * quantity
        vouchers += quantity
    if vouchers > rules["maxVouchersPerOrder"]:
        return error_response(request, 400, "E156", "TOO_MANY_VOUCHERS_PER_ORDER", "Too many")
    if to_decimal(body.get("amount")) != total:
        return error_response(
            request, 400, "E151", "AMOUNT_MISMATCH", "Amount does not match denominations"
        )
    return None


def _insufficient(request: HttpRequest) -> JsonResponse:
    return error_response(
        request, 400, "E300", "INSUFFICIENT_BALANCE", "Insufficient balance in partner wallet"
    )


def _new_vouchers(body: dict) -> list[dict]:
    brand = simulator_catalog.brand_by_id(str(body["productId"])) or {}
    flexible = brand.get("denominationType") == FLEXIBLE
    valid_till = (timezone.localdate() + timedelta(days=365)).isoformat()
    vouchers = []
    for item in body["denominationDetails"]:
        amount = to_decimal(item["denomination"])
        for _ in range(item["quantity"]):
            vouchers.append(
                {
                    "id": f"vch_{secrets.token_hex(8)}",
                    "cardType": brand.get("cardType", ""),
                    "cardPin": f"{secrets.randbelow(10**6):06d}",
                    "cardNumber": "".join(str(secrets.randbelow(10)) for _ in range(16)),
                    "validTill": valid_till,
                    # FLEXIBLE cards answer the amount as a string, FIXED as a number: the
                    # real API sends both.
                    "amount": f"{amount:.2f}" if flexible else float(amount),
                }
            )
    return vouchers


@csrf_exempt
@require_POST
@bearer_required
def create_order(request: HttpRequest):
    body = _json_body(request)
    if body is None:
        return error_response(request, 400, "E400", "BAD_REQUEST", "Body is not a JSON object")
    existing = SimulatedOrder.objects.filter(
        provider=CODE, reference=str(body.get("referenceId") or "")
    ).first()
    if existing is not None:  # referenceId is the idempotency key
        return JsonResponse(order_json(simulator_resolve_if_due(existing)))
    problem = _order_problem(request, body)
    if problem is not None:
        return problem
    customer = body.get("customerDetails") or {}
    customer_no = str(customer.get("phoneNumber") or customer.get("email") or "")
    scenario = scenario_for(customer_no)
    if scenario == Scenario.SERVER_ERROR:
        return error_response(request, 500, "E500", "INTERNAL_ERROR", "Internal error")
    if scenario == Scenario.RATE_LIMITED:
        return error_response(request, 429, "E429", "TOO_MANY_REQUESTS", "Slow down")
    amount = to_decimal(body["amount"])
    cost = wallet_cost(amount)
    if scenario == Scenario.OUT_OF_BALANCE or simulator_state.wallet_balance() < cost:
        return _insufficient(request)
    sim_order = _create_order(body, scenario, amount, cost)
    if sim_order is None:
        return _insufficient(request)
    if _reversed_later(customer_no) and sim_order.status == "SUCCESS":
        _schedule_reversal(sim_order)
    return scripted_reply(scenario, lambda: JsonResponse(order_json(sim_order)))


def wallet_cost(amount: Decimal) -> Decimal:
    """What the partner wallet pays for an order of face value `amount`: the gross amount,
    whatever the brand's `discountPercentage` ("Orders are debited at the gross (full)
    amount", https://docs.myhubble.money/api/wallet), to the paisa."""
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _create_order(
    body: dict, scenario: Scenario, amount: Decimal, cost: Decimal
) -> SimulatedOrder | None:
    """Store the order in the state the scenario gives it; None if the wallet ran dry.
    A concurrent twin with the same referenceId gets the stored one."""
    pending = scenario in PENDING_SCENARIOS
    failed = scenario == Scenario.FAILURE
    delivered = not pending and not failed
    if delivered and not simulator_state.wallet_debit(cost):
        return None
    state = {"amount": str(amount), "charged": str(cost)}
    if delivered:
        state["vouchers"] = _new_vouchers(body)
    if failed:
        state["failureReason"] = "The brand could not issue the voucher (simulated)"
    fields = {
        "external_id": f"hbl_{secrets.token_hex(10)}",
        "status": "PROCESSING" if pending else ("FAILED" if failed else "SUCCESS"),
        "request": body,
        "state": state,
        "callback_url": _callback_base() + ORDER_STATUS_PATH,
    }
    if pending:
        fields["final_status"] = "SUCCESS" if PENDING_SCENARIOS[scenario] else "FAILED"
        fields["resolve_at"] = pending_resolve_at(scenario)
    try:
        with transaction.atomic():
            return SimulatedOrder.objects.create(
                provider=CODE, reference=body["referenceId"], **fields
            )
    except IntegrityError:
        if delivered:
            simulator_state.wallet_credit(cost)
        return SimulatedOrder.objects.get(provider=CODE, reference=body["referenceId"])


def _reversed_later(customer_no: str) -> bool:
    digits = "".join(ch for ch in customer_no.split("@", 1)[0] if ch.isdigit())
    return digits.endswith(REVERSED_LATER_SUFFIX)


def _schedule_reversal(sim_order: SimulatedOrder, *, after: timedelta | None = None) -> None:
    """Reverse the delivered order once `after` (default SIMULATOR_PENDING_SECONDS) has
    passed: the resolver then sends the REVERSED callback (`resolve_order`)."""
    wait = after if after is not None else timedelta(seconds=settings.SIMULATOR_PENDING_SECONDS)
    SimulatedOrder.objects.filter(pk=sim_order.pk).update(
        final_status="REVERSED", resolve_at=timezone.now() + wait
    )


def reverse_order(sim_order: SimulatedOrder) -> SimulatedOrder:
    """Reverse an order by hand now, as Hubble's staff do: a pending order is delivered
    first (vouchers, wallet debit), then it becomes REVERSED and the order-status callback
    is sent. The wallet is not credited back: Hubble does not document that a reversal
    returns the money (inferred)."""
    if sim_order.status == "PROCESSING":
        SimulatedOrder.objects.filter(pk=sim_order.pk).update(status="SUCCESS", resolve_at=None)
        _finish(sim_order)
    _schedule_reversal(sim_order, after=timedelta(0))
    return simulator_resolve_if_due(sim_order)


@require_GET
@bearer_required
def get_order(request: HttpRequest, order_id: str) -> JsonResponse:
    return _order_reply(request, SimulatedOrder.objects.filter(provider=CODE, external_id=order_id))


@require_GET
@bearer_required
def get_order_by_reference(request: HttpRequest, reference: str) -> JsonResponse:
    return _order_reply(request, SimulatedOrder.objects.filter(provider=CODE, reference=reference))


def _order_reply(request: HttpRequest, orders) -> JsonResponse:
    sim_order = orders.first()
    if sim_order is None:
        return error_response(request, 404, "E001", "RESOURCE_NOT_FOUND", "Order not found")
    SimulatedOrder.objects.filter(pk=sim_order.pk).update(status_checks=F("status_checks") + 1)
    return JsonResponse(order_json(simulator_resolve_if_due(sim_order)))


# --- pending orders: resolution and callbacks ------------------------------------------------
def _finish(sim_order: SimulatedOrder) -> None:
    """Give a resolved order its vouchers and take its cost (once), or its failure reason."""
    with transaction.atomic():
        locked = SimulatedOrder.objects.select_for_update().get(pk=sim_order.pk)
        state = dict(locked.state)
        if state.get("vouchers") or state.get("failureReason"):
            return
        charged = Decimal(state.get("charged", state["amount"]))
        if locked.status == "SUCCESS" and simulator_state.wallet_debit(charged):
            state["vouchers"] = _new_vouchers(locked.request)
        else:
            locked.status = "FAILED"
            state["failureReason"] = (
                "The brand could not issue the voucher (simulated)"
                if locked.final_status == "FAILED"
                else "Insufficient balance in partner wallet"
            )
        locked.state = state
        locked.save(update_fields=["status", "state", "updated_at"])


@simulator_resolver(CODE)
def resolve_order(sim_order: SimulatedOrder) -> None:
    """Finish a due pending order (or reverse a delivered one) and send Hubble's
    terminal-state callback."""
    _finish(sim_order)
    sim_order.refresh_from_db()
    send_order_status(sim_order)


def send_order_status(sim_order: SimulatedOrder) -> bool:
    """Send the order-status callback `{"id", "status"}` for the order as it is now (also a
    demo hook: Hubble may send one again)."""
    sim_order.refresh_from_db()
    payload = {"id": sim_order.external_id, "status": sim_order.status}
    if not _post_callback(sim_order.callback_url, payload):
        return False
    sim_order.callback_sent_at = timezone.now()
    sim_order.save(update_fields=["callback_sent_at", "updated_at"])
    return True


def _post_callback(url: str, payload: dict) -> bool:
    """POST a signed callback; errors are logged, never raised (the shop also polls)."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(settings.HUBBLE_WEBHOOK_SECRET, body),
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=5)
    except requests.RequestException as exc:
        logger.warning("hubble simulator: callback to %s failed: %s", url, exc)
        return False
    if response.status_code >= 400:
        logger.warning("hubble simulator: callback to %s got %s", url, response.status_code)
    return True


def _callback_base() -> str:
    return settings.SIMULATOR_CALLBACK_BASE_URL.rstrip("/")


def send_brand_updated(brand_id: str, *, status: str | None = None, url: str = "") -> bool:
    """Send the brand-updated callback for a demo brand (optionally with a new status)."""
    brand = simulator_catalog.brand_by_id(brand_id)
    if brand is None:
        raise KeyError(brand_id)
    payload = {
        "id": brand["id"],
        "denominationType": brand["denominationType"],
        "status": status or brand["status"],
        "denominations": brand["amountRestrictions"]["denominations"],
        "amountRestrictions": brand["amountRestrictions"],
    }
    return _post_callback(url or _callback_base() + BRAND_UPDATED_PATH, payload)


def send_low_balance(
    *, balance: Decimal | None = None, threshold: Decimal = Decimal(100), url: str = ""
) -> bool:
    """Send the wallet-low-balance callback (default: the simulator's current balance)."""
    payload = {
        "balance": float(simulator_state.wallet_balance() if balance is None else balance),
        "threshold": float(threshold),
    }
    return _post_callback(url or _callback_base() + LOW_BALANCE_PATH, payload)


def brand_image(request: HttpRequest, brand_id: str) -> HttpResponse:
    """The demo catalog's brand images: an SVG badge with the brand's initials."""
    brand = simulator_catalog.brand_by_id(brand_id)
    if brand is None:
        return HttpResponse(status=404)
    initials = escape("".join(word[0] for word in brand["title"].split()[:2]).upper())
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">'
        '<rect width="96" height="96" rx="16" fill="#0b7a5a"/>'
        '<text x="48" y="60" font-family="sans-serif" font-size="36" fill="#fff" '
        f'text-anchor="middle">{initials}</text></svg>'
    )
    return HttpResponse(svg, content_type="image/svg+xml")


urlpatterns = [
    path("images/<str:brand_id>.svg", brand_image),
    path("v1/partners/auth/login", login),
    path("v1/partners/products", products),
    path("v1/partners/orders", create_order),
    path("v1/partners/orders/by-reference/<str:reference>", get_order_by_reference),
    path("v1/partners/orders/<str:order_id>", get_order),
    path("v1/partners/wallet/balance", balance),
]
