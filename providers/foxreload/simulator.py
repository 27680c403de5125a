# Over 400 lines: FoxReload's whole simulated API (orders, pay, poll, scenarios) in one room.
"""FoxReload public API simulator, served under /sim/foxreload/ on FoxReload's own paths.

It checks `X-API-Key` against FOXRELOAD_API_KEY (the adapter's setting) and speaks the
shapes of docs/providers/foxreload.md and seed 002. Where the seed is silent the shapes are the
inferred ones the adapter reads: `{"detail": ...}` errors, catalog pages `{"items", "limit",
"nextCursor"}` / `{"items", "limit", "offset", "total"}`, `BalanceNotEnough` as a 400.

Orders live in SimulatedOrder (reference = external_id = the order UUID: FoxReload has no
client reference) and only move forward: active → paid → processing → completed | failed,
or active → cancelled. The scenario comes from the player id (providers.simulators):
create replies 500 (95) or 429 with Retry-After (96) without creating anything; 84 creates
the order and replies past the read timeout (the first create for that player id only: the
shop's create made again answers at once); every other
scenario acts on pay: success completes at once; 91/92 stay processing until `resolve_at`
(81/82: hours later, after SIMULATOR_LONG_PENDING_SECONDS),
then complete/fail (FoxReload has no callbacks: the resolver only changes state); 93 fails
at once; 99 refuses the payment with BalanceNotEnough and cancels (payment_failure);
94 replies slowly, 97 malformed and 98 cut short, all three after completing the order.
`isMock: true` gives MOCK- codes and leaves the balance alone; other paid orders draw the
simulated balance (USD 1000.00); a failed order gives its money back.
"""

import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path, re_path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

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

PROVIDER = "foxreload"
STARTING_BALANCE = Decimal("1000.00")
CURRENCY = "USD"
# Small on purpose so the adapter's pagination runs; the real cap is 200 (public client code).
PAGE_CAP = 2
PAYMENT_WINDOW = timedelta(minutes=15)  # paymentExpiresAt (the real window is not documented)
FAILED_ITEM_ERROR = "Supplier fulfilment failed"
NEXT_STATUSES = {
    "active": {"paid", "cancelled"},
    "paid": {"processing"},
    "processing": {"completed", "failed"},
}

ROOT = "019d0000-0000-7000-8000-000000000001"
PUBG = "019d0000-0000-7000-8000-000000000002"
GENSHIN = "019d0000-0000-7000-8000-000000000003"
VALORANT = "019d0000-0000-7000-8000-000000000004"
HSR = "019d0000-0000-7000-8000-000000000005"
CODM = "019d0000-0000-7000-8000-000000000006"


def _category(category_id: str, name: str, slug: str, parent_id: str | None, count: int):
    return {
        "id": category_id,
        "name": name,
        "slug": slug,
        "description": None,
        "tags": ["games"],
        "parentId": parent_id,
        "hasProducts": count > 0,
        "inStockCount": count,
    }


CATEGORIES = [
    _category(ROOT, "Game top-ups", "game-topups", None, 0),
    _category(PUBG, "PUBG Mobile", "pubg-mobile", ROOT, 3),
    _category(GENSHIN, "Genshin Impact", "genshin-impact", ROOT, 3),
    _category(VALORANT, "Valorant", "valorant", ROOT, 2),
    _category(HSR, "Honkai: Star Rail", "honkai-star-rail", ROOT, 2),
    _category(CODM, "Call of Duty Mobile", "call-of-duty-mobile", ROOT, 1),
]


# A HoYoverse product also asks for the server, from a list (field name and values inferred:
# the seed documents only `player_id`; these are Genshin's own region names).
HOYOVERSE_SERVERS = ["os_asia", "os_usa", "os_euro", "os_cht"]
_SERVER_NOTE = {
    "requiredNoteFields": ["player_id", "server"],
    "noteFieldOptions": {"server": HOYOVERSE_SERVERS},
    "noteFieldTypes": {"player_id": "string", "server": "string"},
}


def _product(product_id: str, name: str, category_id: str, price: str, quantity=None, **note):
    return {
        "id": product_id,
        "name": name,
        "slug": name.lower().replace(" ", "-").replace("+", "plus"),
        "categoryId": category_id,
        "description": f"{name}, credited to the player id.",
        "attributes": {"region": "Global"},
        "price": price,
        "currency": CURRENCY,
        "quantity": quantity,
        "orderMinQuantity": 1,
        "orderMaxQuantity": 10,
        "requiredNoteFields": ["player_id"],
        "noteFieldOptions": {},
        "noteFieldTypes": {"player_id": "string"},
        **note,
    }


PRODUCTS = [
    _product("product_01krgfgww8eth9xvvysd6y7r4j", "PUBG Mobile 60 UC", PUBG, "0.99"),
    _product("product_01krgfh3m2q7w9xk4dz8b6c1ta", "PUBG Mobile 325 UC", PUBG, "4.99"),
    _product("product_01krgfh8p5t2v6yn3ea7d9f0hb", "PUBG Mobile 660 UC", PUBG, "9.99", 120),
    _product(
        "product_01krgfhc1w4x8z2q6gb3n5j7kc", "Genesis Crystals 60", GENSHIN, "0.99", **_SERVER_NOTE
    ),
    _product(
        "product_01krgfhg6y9b3d7f1hc4p8k2md",
        "Genesis Crystals 300+30",
        GENSHIN,
        "4.99",
        **_SERVER_NOTE,
    ),
    _product(
        "product_01krgfhm2a5c9e3g7jd1q4r8ne",
        "Genesis Crystals 980+110",
        GENSHIN,
        "14.99",
        **_SERVER_NOTE,
    ),
    _product("product_01krgfhr7d1f5h9k3me6s2t4pf", "Valorant 475 VP", VALORANT, "4.99"),
    _product("product_01krgfhw3g6j1m5p9nf8v3w7qg", "Valorant 1000 VP", VALORANT, "9.99"),
    _product("product_01krgfj18k2n6q1s5pg9x4y0rh", "Oneiric Shard 60", HSR, "0.99", **_SERVER_NOTE),
    _product(
        "product_01krgfj54m7r2t6w1qh3z8a2sj", "Oneiric Shard 300+30", HSR, "4.99", **_SERVER_NOTE
    ),
    _product("product_01krgfj9a1v5x9b3rj6c2d4tk", "Call of Duty Mobile 80 CP", CODM, "0.99"),
    _product("product_01krgfjd6x2z7c1f5sk8e3g6vm", "Call of Duty Mobile 420 CP", CODM, "4.99", 0),
]
PRODUCTS_BY_ID = {product["id"]: product for product in PRODUCTS}


def _error(status: int, detail, **extra) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def foxreload_api(*methods: str) -> Callable:
    """csrf_exempt, the HTTP methods allowed, and FoxReload's `X-API-Key` check."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                return _error(405, "Method Not Allowed")
            given = request.headers.get("X-API-Key", "").encode()
            if not given or not hmac.compare_digest(given, settings.FOXRELOAD_API_KEY.encode()):
                return _error(401, "Invalid or missing API key")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _page_params(request: HttpRequest) -> tuple[int, int]:
    try:
        limit = int(request.GET.get("limit", 25))
        offset = int(request.GET.get("offset") or request.GET.get("cursor") or 0)
    except ValueError:
        return 25, 0
    return max(1, min(limit, PAGE_CAP)), max(0, offset)


# -- catalog ---------------------------------------------------------------------------


@foxreload_api("GET")
def categories_view(request: HttpRequest) -> JsonResponse:
    limit, start = _page_params(request)  # the cursor is an opaque offset here
    page = CATEGORIES[start : start + limit]
    next_cursor = str(start + limit) if start + limit < len(CATEGORIES) else None
    return JsonResponse({"items": page, "limit": limit, "nextCursor": next_cursor})


def _offset_page(request: HttpRequest, products: list[dict]) -> JsonResponse:
    limit, offset = _page_params(request)
    return JsonResponse(
        {
            "items": products[offset : offset + limit],
            "limit": limit,
            "offset": offset,
            "total": len(products),
        }
    )


@foxreload_api("GET")
def products_view(request: HttpRequest) -> JsonResponse:
    key = request.GET.get("category_id_or_slug", "")
    if not key:
        return _error(422, "category_id_or_slug is required")
    category = next((c for c in CATEGORIES if key in (c["id"], c["slug"])), None)
    if category is None:
        return _error(404, "Category not found")
    return _offset_page(request, [p for p in PRODUCTS if p["categoryId"] == category["id"]])


@foxreload_api("GET")
def products_search_view(request: HttpRequest) -> JsonResponse:
    query = request.GET.get("query", "").strip().lower()
    return _offset_page(request, [p for p in PRODUCTS if query and query in p["name"].lower()])


# -- orders ----------------------------------------------------------------------------


def simulated_balance() -> Decimal:
    """USD 1000.00 less what non-mock orders paid and kept (a failed order gives it back)."""
    charged = SimulatedOrder.objects.filter(provider=PROVIDER).values_list("state", flat=True)
    return STARTING_BALANCE - sum((Decimal(s.get("charged", "0")) for s in charged), Decimal(0))


def order_body(sim_order: SimulatedOrder) -> dict:
    """The order as FoxReload returns it: codes only once completed, errors once failed."""
    state = sim_order.state
    items = [
        {
            **item,
            "externalData": state.get("codes", {}).get(item["itemId"], [])
            if sim_order.status == "completed"
            else [],
            "error": FAILED_ITEM_ERROR if sim_order.status == "failed" else None,
        }
        for item in state["items"]
    ]
    return {
        "id": sim_order.external_id,
        "status": sim_order.status,
        "items": items,
        "totalPrice": state["totalPrice"],
        "currency": CURRENCY,
        "isMock": state["isMock"],
        "paymentExpiresAt": state["paymentExpiresAt"],
        "cancelReason": state.get("cancelReason"),
        "createdAt": state["createdAt"],
        "updatedAt": sim_order.updated_at.isoformat() if sim_order.updated_at else None,
    }


def _advance(sim_order: SimulatedOrder, to: str) -> None:
    """Move forward only (FoxReload's state machine); any other move is a simulator bug."""
    if to not in NEXT_STATUSES.get(sim_order.status, set()):
        raise ValueError(f"FoxReload orders never move {sim_order.status} → {to}")
    sim_order.status = to
    sim_order.state.setdefault("history", []).append(to)


def _validated_items(body) -> tuple[list[dict], str] | JsonResponse:
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= 10:
        return _error(422, "items must hold 1 to 10 entries")
    lines = []
    for item in items:
        product = PRODUCTS_BY_ID.get(item.get("itemId")) if isinstance(item, dict) else None
        if product is None:
            return _error(400, "Product not found")
        quantity = item.get("quantity", 1)
        if not isinstance(quantity, int) or not (
            product["orderMinQuantity"] <= quantity <= product["orderMaxQuantity"]
        ):
            return _error(422, "quantity is out of the product's range")
        if product["quantity"] is not None and product["quantity"] < quantity:
            return _error(400, "Product is out of stock")
        note = item.get("note") if isinstance(item.get("note"), dict) else {}
        missing = [name for name in product["requiredNoteFields"] if not note.get(name)]
        if missing:
            return _error(422, f"note.{missing[0]} is required")
        for name, options in product["noteFieldOptions"].items():
            if note.get(name) not in options:
                return _error(422, f"note.{name} must be one of {', '.join(options)}")
        lines.append(
            {
                "itemId": product["id"],
                "name": product["name"],
                "quantity": quantity,
                "price": product["price"],
                "note": note,
            }
        )
    return lines, str(lines[0]["note"].get("player_id", ""))


@foxreload_api("POST")
def orders_view(request: HttpRequest) -> JsonResponse:
    """`POST /api/orders/`: 201 with the active order (or the scripted 500/429)."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _error(422, "Invalid JSON body")
    validated = _validated_items(body)
    if isinstance(validated, JsonResponse):
        return validated
    lines, player_id = validated
    scenario = scenario_for(player_id)
    if scenario == Scenario.SERVER_ERROR:
        return _error(500, "Internal Server Error")
    if scenario == Scenario.RATE_LIMITED:
        response = _error(429, "Too many requests")
        response["Retry-After"] = "1"
        return response
    now = timezone.now()
    order_id = str(uuid.uuid4())
    total = sum(Decimal(line["price"]) * line["quantity"] for line in lines)
    sim_order = SimulatedOrder.objects.create(
        provider=PROVIDER,
        reference=order_id,
        external_id=order_id,
        status="active",
        request=body,
        state={
            "items": lines,
            "player_id": player_id,
            "isMock": bool(body.get("isMock", False)),
            "totalPrice": str(total),
            "charged": "0",
            "createdAt": now.isoformat(),
            "paymentExpiresAt": (now + PAYMENT_WINDOW).isoformat(),
            "history": ["active"],
            "request_ids": [request.headers.get("X-Request-Id", "")],
        },
    )
    first_for_player = not SimulatedOrder.objects.filter(
        provider=PROVIDER, state__player_id=player_id, created_at__lt=sim_order.created_at
    ).exists()
    if scenario == Scenario.CREATE_TIMEOUT and first_for_player:
        time.sleep(settings.SIMULATOR_SLOW_SECONDS)  # the order exists; the reply comes late
    return JsonResponse(order_body(sim_order), status=201)


def _locked_order(order_id: str) -> SimulatedOrder | None:
    return (
        SimulatedOrder.objects.select_for_update()
        .filter(provider=PROVIDER, external_id=order_id)
        .first()
    )


def _expire_if_due(sim_order: SimulatedOrder, now: datetime) -> None:
    expires = datetime.fromisoformat(sim_order.state["paymentExpiresAt"])
    if sim_order.status == "active" and expires <= now:
        _advance(sim_order, "cancelled")
        sim_order.state["cancelReason"] = "payment_expiration"
        sim_order.save()


def _fake_codes(sim_order: SimulatedOrder) -> dict[str, list[str]]:
    prefix = "MOCK" if sim_order.state["isMock"] else "FOX"
    return {
        item["itemId"]: [
            f"{prefix}-{secrets.token_hex(4).upper()}-{secrets.token_hex(4).upper()}"
            for _ in range(item["quantity"])
        ]
        for item in sim_order.state["items"]
    }


@foxreload_api("POST")
def order_pay_view(request: HttpRequest, order_id: str) -> HttpResponse:
    """`POST /api/orders/{id}/pay`: charge the balance and fulfil as scripted."""
    with transaction.atomic():
        sim_order = _locked_order(order_id)
        if sim_order is None:
            return _error(404, "Order not found")
        _expire_if_due(sim_order, timezone.now())
        if sim_order.status != "active":
            return _error(400, "Order is not awaiting payment", code="OrderNotPayable")
        state = sim_order.state
        state["request_ids"].append(request.headers.get("X-Request-Id", ""))
        scenario = scenario_for(state["player_id"])
        total = Decimal(state["totalPrice"])
        needed = Decimal(0) if state["isMock"] else total
        if scenario == Scenario.OUT_OF_BALANCE or needed > simulated_balance():
            _advance(sim_order, "cancelled")
            state["cancelReason"] = "payment_failure"
            sim_order.save()
            return _error(400, "Not enough balance to pay for the order", code="BalanceNotEnough")
        _advance(sim_order, "paid")
        state["charged"] = str(needed)
        state["codes"] = _fake_codes(sim_order)
        _advance(sim_order, "processing")
        if scenario in PENDING_SCENARIOS:
            sim_order.final_status = "completed" if PENDING_SCENARIOS[scenario] else "failed"
            sim_order.resolve_at = pending_resolve_at(scenario)
        elif scenario == Scenario.FAILURE:
            _finish(sim_order, "failed")
        else:
            _finish(sim_order, "completed")
        sim_order.save()
    return scripted_reply(scenario, lambda: JsonResponse(order_body(sim_order)))


def _finish(sim_order: SimulatedOrder, to: str) -> None:
    """processing → completed | failed; a failed order's money goes back to the balance."""
    _advance(sim_order, to)
    if to == "failed":
        sim_order.state["charged"] = "0"


@simulator_resolver(PROVIDER)
def resolve_pending(sim_order: SimulatedOrder) -> None:
    """A due pending order has just been given its final status (by
    simulators_resolve_due): record the step and give back a failed order's money.
    FoxReload sends no callbacks, so nothing is sent."""
    with transaction.atomic():
        locked = SimulatedOrder.objects.select_for_update().get(pk=sim_order.pk)
        locked.state.setdefault("history", []).append(locked.status)
        if locked.status == "failed":
            locked.state["charged"] = "0"
        locked.save(update_fields=["state", "updated_at"])
    sim_order.refresh_from_db()


@foxreload_api("GET")
def order_detail_view(request: HttpRequest, order_id: str) -> JsonResponse:
    """`GET /api/orders/{id}`."""
    with transaction.atomic():
        sim_order = _locked_order(order_id)
        if sim_order is None:
            return _error(404, "Order not found")
        _expire_if_due(sim_order, timezone.now())
        SimulatedOrder.objects.filter(pk=sim_order.pk).update(status_checks=F("status_checks") + 1)
    return JsonResponse(order_body(simulator_resolve_if_due(sim_order)))


urlpatterns = [
    path("api/categories/", categories_view),
    path("api/products/", products_view),
    path("api/products/search", products_search_view),
    # The seed's curl examples use /api/orders without the slash; our docs (foxreload.md) with it.
    re_path(r"^api/orders/?$", orders_view),
    re_path(r"^api/orders/(?P<order_id>[0-9a-fA-F-]{36})/pay/?$", order_pay_view),
    re_path(r"^api/orders/(?P<order_id>[0-9a-fA-F-]{36})/?$", order_detail_view),
]
