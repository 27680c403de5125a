"""A VIP Reseller API simulator on VIP's own paths under /sim/vipreseller/api/ (wire format:
docs/providers/vipreseller.md).

- Every call is a form-encoded POST checked as VIP checks it: `key` must be the API key and
  `sign` md5(API ID + API KEY) (VIPRESELLER_API_ID / VIPRESELLER_API_KEY, the adapter's
  settings, so both agree); otherwise `{"result": false, "data": null, "message": ...}`.
- /profile: the account, with a balance of IDR 10,000,000 less what successful and
  pending orders charged (an `error` gives its price back), at level Premium.
- /game-feature `type=services`: a demo price list (prices per level: basic, premium,
  special), filterable by `filter_type=game` + `filter_value` and `filter_status`.
- `type=order`: VIP takes no reference of ours, so each order is new, keyed by the trxid it
  is given. Outcomes follow `providers.simulators.scenario_for` on `data_no` + `data_zone`
  (a Mobile Legends zone's last two digits decide): 91/92 `waiting`, then `processing` at
  the first status check, then `success` / `error` after SIMULATOR_PENDING_SECONDS (81/82:
  hours) with VIP's callback; 93 `error` at once ("Zone tujuan salah."); 99 refused for
  our balance; 95 HTTP 500 and 96 HTTP 429 (no order); 94 slow, 97 malformed and 98 cut
  short, all after the order is made; anything else `success` at once. A success's
  `note` is a 16-digit serial (the examples leave it empty; real notes vary).
- `type=status`: by `trxid` (a list of one), or the latest `limit` orders.
- `type=get-nickname`: a stable fake name for a valid-looking id (made from a hash of game,
  id and zone); `NOT_FOUND_TARGET` is "not found"; an id ending in 95 answers HTTP 500
  and 96 HTTP 429 (a lookup outage); Mobile Legends needs `additional_target` (the zone).
- Callbacks go to SIMULATOR_CALLBACK_BASE_URL + /api/webhooks/vipreseller as JSON
  `{"data": {...the transaction}}` with `X-Client-Signature: md5(API ID + API KEY)`.
"""

import hashlib
import json
import logging
import secrets

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

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
from providers.vipreseller.client import CODE, vip_sign
from providers.vipreseller.webhook import SIGNATURE_HEADER

logger = logging.getLogger(__name__)

STARTING_BALANCE = 10_000_000
LEVEL = "premium"
CALLBACK_PATH = "/api/webhooks/vipreseller"
# get-nickname answers "not found" for this id, whatever the game (the demo's wrong id).
NOT_FOUND_TARGET = "404404404"
WAITING, PROCESSING, SUCCESS, ERROR = "waiting", "processing", "success", "error"
FAILURE_NOTE = "Zone tujuan salah."
NICKNAME_CODES = frozenset(
    {
        "mobile-legends",
        "free-fire",
        "free-fire-max",
        "pubgm",
        "genshin-impact",
        "valorant",
        "call-of-duty-mobile",
        "league-of-legends-wild-rift",
        "arena-of-valor",
        "higgs-domino",
        "point-blank",
        "dragon-raja",
        "hago",
        "zepeto",
        "lords-mobile",
        "marvel-super-war",
        "speed-drifters",
        "laplace-m",
        "tom-and-jerry-chase",
        "indoplay",
    }
)
NEEDS_ADDITIONAL = frozenset({"mobile-legends", "genshin-impact"})


def _service(code: str, game: str, name: str, basic: int, *, available: bool = True) -> dict:
    return {
        "code": code,
        "game": game,
        "name": name,
        "price": {"basic": basic, "premium": basic - basic // 50, "special": basic - basic // 40},
        "server": "1",
        "status": "available" if available else "empty",
    }


SERVICES = [
    _service("MLA5-S1", "Mobile Legends A", "5 Diamonds", 1_520),
    _service("MLA86-S1", "Mobile Legends A", "86 Diamonds", 20_350),
    _service("MLA172-S1", "Mobile Legends A", "172 Diamonds", 40_700),
    _service("MLB1048B-S1", "Mobile Legends B", "1048 Diamonds", 237_620),
    _service("FF70-S1", "Free Fire", "70 Diamonds", 9_300),
    _service("FF140-S1", "Free Fire", "140 Diamonds", 18_550),
    _service("PUBGM60-S1", "PUBG Mobile", "60 UC", 14_600),
    _service("PUBGM325-S1", "PUBG Mobile", "325 UC", 72_800),
    _service("GI60-S1", "Genshin Impact", "60 Genesis Crystals", 15_900),
    _service("GI330-S1", "Genshin Impact", "300+30 Genesis Crystals", 79_000),
    _service("VAL475-S1", "Valorant", "475 Points", 55_200),
    _service("CODM80-S1", "Call of Duty Mobile", "80 CP", 15_300),
    _service("CODM420-S1", "Call of Duty Mobile", "420 CP", 75_000, available=False),
    _service("HOK80-S1", "Honor of Kings", "80 Tokens", 15_100),
]
SERVICES_BY_CODE = {service["code"]: service for service in SERVICES}


def _refused(message: str, *, status: int = 200) -> JsonResponse:
    return JsonResponse({"result": False, "data": None, "message": message}, status=status)


def _ok(data, message: str) -> JsonResponse:
    return JsonResponse({"result": True, "data": data, "message": message})


def _authenticated(request: HttpRequest) -> JsonResponse | None:
    """None when `key` and `sign` are right; VIP's refusal otherwise."""
    key, sign = request.POST.get("key", ""), request.POST.get("sign", "")
    api_id, api_key = settings.VIPRESELLER_API_ID, settings.VIPRESELLER_API_KEY
    if not api_key or not secrets.compare_digest(key.encode(), api_key.encode()):
        return _refused("API Key salah.")
    if not secrets.compare_digest(sign.lower().encode(), vip_sign(api_id, api_key).encode()):
        return _refused("Sign salah.")
    return None


def simulated_balance() -> int:
    """IDR 10,000,000 less what orders still charged (success, waiting, processing) cost."""
    charged = SimulatedOrder.objects.filter(provider=CODE).exclude(status=ERROR)
    return STARTING_BALANCE - sum(order.state.get("price", 0) for order in charged)


def _price(service: dict) -> int:
    return service["price"][LEVEL]


def transaction_data(sim_order: SimulatedOrder) -> dict:
    """The transaction as VIP shows it (order reply, status item and callback alike)."""
    state = sim_order.state
    return {
        "trxid": sim_order.external_id,
        "data": state["data_no"],
        "zone": state["data_zone"],
        "service": state["service_name"],
        "status": sim_order.status,
        "note": state["serial"] if sim_order.status == SUCCESS else state.get("note", ""),
        "price": state["price"],
    }


# --- views ------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def profile_view(request: HttpRequest) -> JsonResponse:
    refused = _authenticated(request)
    if refused:
        return refused
    return _ok(
        {
            "full_name": "Simulator Shop",
            "username": "sim-shop",
            "balance": simulated_balance(),
            "point": 0,
            "level": LEVEL.title(),
            "registered": "2026-01-02 03:04:05",
        },
        "Successfully got your account details.",
    )


@csrf_exempt
@require_POST
def game_feature_view(request: HttpRequest) -> HttpResponse:
    refused = _authenticated(request)
    if refused:
        return refused
    handler = _HANDLERS.get(request.POST.get("type", ""))
    if handler is None:
        return _refused("Permintaan tidak sesuai.")
    return handler(request.POST)


def _services(form) -> JsonResponse:
    services = SERVICES
    if form.get("filter_type") == "game" and form.get("filter_value"):
        wanted = form["filter_value"].strip().lower()
        services = [s for s in services if wanted in s["game"].lower()]
    if form.get("filter_status"):
        services = [s for s in services if s["status"] == form["filter_status"]]
    return _ok(services, "Daftar layanan berhasil didapatkan.")


def _order(form) -> HttpResponse:
    service = SERVICES_BY_CODE.get(form.get("service", ""))
    data_no, data_zone = form.get("data_no", "").strip(), form.get("data_zone", "").strip()
    if service is None:
        return _refused("Layanan tidak ditemukan.")
    if not data_no:
        return _refused("Data tujuan tidak boleh kosong.")
    if service["status"] != "available":
        return _refused("Layanan sedang tidak tersedia.")
    scenario = scenario_for(f"{data_no}{data_zone}")
    if scenario == Scenario.SERVER_ERROR:
        return HttpResponse(b"Internal Server Error", status=500, content_type="text/plain")
    if scenario == Scenario.RATE_LIMITED:
        return _refused("Too Many Requests.", status=429)
    balance = simulated_balance()
    price = _price(service)
    if scenario == Scenario.OUT_OF_BALANCE or price > balance:
        return _refused("Saldo anda tidak mencukupi untuk melakukan pemesanan ini.")
    pending = scenario in PENDING_SCENARIOS
    if pending:
        status, final_status = WAITING, SUCCESS if PENDING_SCENARIOS[scenario] else ERROR
    else:
        status, final_status = (ERROR if scenario == Scenario.FAILURE else SUCCESS), ""
    trxid = f"VIP{secrets.token_hex(6).upper()}"
    sim_order = SimulatedOrder.objects.create(
        provider=CODE,
        reference=trxid,
        external_id=trxid,
        status=status,
        request={"service": service["code"], "data_no": data_no, "data_zone": data_zone},
        state={
            "data_no": data_no,
            "data_zone": data_zone,
            "service_name": f"{service['game']} - {service['name']}",
            "price": 0 if status == ERROR else price,
            "list_price": price,
            "note": FAILURE_NOTE if status == ERROR else "",
            "serial": f"{secrets.randbelow(10**16):016d}",
        },
        final_status=final_status,
        resolve_at=pending_resolve_at(scenario) if pending else None,
    )
    data = {**transaction_data(sim_order), "balance": simulated_balance(), "price": price}
    return scripted_reply(scenario, lambda: _ok(data, "Pesanan berhasil, pesanan akan diproses."))


def _status(form) -> JsonResponse:
    trxid = form.get("trxid", "").strip()
    if not trxid:
        limit = form.get("limit", "")
        latest = SimulatedOrder.objects.filter(provider=CODE).order_by("-created_at", "-pk")
        count = int(limit) if limit.isdigit() else 10
        rows = [transaction_data(order) for order in latest[: max(1, min(count, 100))]]
        return _ok(rows, "Detail transaksi berhasil didapatkan.")
    sim_order = SimulatedOrder.objects.filter(provider=CODE, external_id=trxid).first()
    if sim_order is None:
        return _refused("Transaksi tidak ditemukan.")
    return _ok([transaction_data(_checked(sim_order))], "Detail transaksi berhasil didapatkan.")


def _checked(sim_order: SimulatedOrder) -> SimulatedOrder:
    """The order as a status check sees it: `waiting` moves to `processing`, and a due
    pending one resolves now (and calls back, once)."""
    SimulatedOrder.objects.filter(pk=sim_order.pk).update(status_checks=F("status_checks") + 1)
    SimulatedOrder.objects.filter(pk=sim_order.pk, status=WAITING).update(status=PROCESSING)
    sim_order.refresh_from_db()
    return simulator_resolve_if_due(sim_order)


NICKNAME_WORDS = (
    ("Swift", "Silent", "Crimson", "Lucky", "Brave", "Mystic", "Frost", "Golden"),
    ("Tiger", "Falcon", "Ronin", "Lotus", "Phoenix", "Shadow", "Knight", "Comet"),
)


def fake_nickname(code: str, target: str, zone: str) -> str:
    """The same made-up name for the same game, id and zone, every time."""
    digest = hashlib.sha256(f"{code}|{target}|{zone}".encode()).digest()
    first, second = NICKNAME_WORDS
    return f"{first[digest[0] % len(first)]}{second[digest[1] % len(second)]}{digest[2] % 100:02d}"


def _nickname(form) -> JsonResponse:
    code = form.get("code", "").strip()
    target = form.get("target", "").strip()
    zone = form.get("additional_target", "").strip()
    if code not in NICKNAME_CODES:
        return _refused("Kode game tidak tersedia.")
    if not target or (code in NEEDS_ADDITIONAL and not zone):
        return _refused("Permintaan tidak sesuai.")
    scenario = scenario_for(target)
    if scenario == Scenario.SERVER_ERROR:
        return HttpResponse(b"Internal Server Error", status=500, content_type="text/plain")
    if scenario == Scenario.RATE_LIMITED:
        return _refused("Too Many Requests.", status=429)
    if target == NOT_FOUND_TARGET:
        return _refused("Player ID Tidak Ditemukan.")
    return _ok(fake_nickname(code, target, zone), "Nickname berhasil didapatkan.")


_HANDLERS = {
    "services": _services,
    "order": _order,
    "status": _status,
    "get-nickname": _nickname,
}


@simulator_resolver(CODE)
def send_callback(sim_order: SimulatedOrder) -> None:
    """A due pending order has just been given its final status: an `error` gives its price
    back, then VIP's callback is POSTed (errors logged; `callback_sent_at` set either way)."""
    with transaction.atomic():
        locked = SimulatedOrder.objects.select_for_update().get(pk=sim_order.pk)
        if locked.status == ERROR:
            locked.state["price"] = 0
            locked.state["note"] = FAILURE_NOTE
            locked.save(update_fields=["state", "updated_at"])
    sim_order.refresh_from_db()
    body = json.dumps({"data": transaction_data(sim_order)}).encode()
    url = settings.SIMULATOR_CALLBACK_BASE_URL.rstrip("/") + CALLBACK_PATH
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: vip_sign(settings.VIPRESELLER_API_ID, settings.VIPRESELLER_API_KEY),
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=5)
        if response.status_code >= 300:
            logger.warning("vipreseller callback to %s got HTTP %s", url, response.status_code)
    except requests.RequestException:
        logger.warning("vipreseller callback to %s failed", url, exc_info=True)
    SimulatedOrder.objects.filter(pk=sim_order.pk).update(callback_sent_at=timezone.now())


urlpatterns = [
    path("api/profile", profile_view),
    path("api/game-feature", game_feature_view),
]
