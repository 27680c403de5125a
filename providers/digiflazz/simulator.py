"""A Digiflazz buyer API simulator: the real paths under /sim/digiflazz/v1/ (wire format:
docs/providers/digiflazz.md).

- Every call is a JSON POST checked like Digiflazz checks it: username (rc 42), then
  md5(username + key + suffix) (rc 41); a bad payload is rc 40; all with HTTP 400 and
  `{"data": {"rc", "message"}}`. It uses the adapter's settings (DIGIFLAZZ_USERNAME,
  DIGIFLAZZ_API_KEY), so both agree.
- /price-list: a demo list of realistic prepaid products, or `?size=N` generated ones
  (deterministic; `?seed=S` varies them, `?changed=P` raises P percent of prices). The same
  knobs as a path prefix, `/sim/digiflazz/gen/<size>/<changed>/v1/`, let the real adapter
  fetch a generated list through DIGIFLAZZ_BASE_URL. Digiflazz's rc 83 (full list at most
  once per 5 minutes) is NOT enforced here: every test and sync would trip over it.
- /transaction: one transaction per ref_id, kept in SimulatedOrder; posting the same ref_id
  again returns it (Digiflazz's status check), whatever the body. Outcomes follow
  `providers.simulators.scenario_for`, and with `testing: true` or SKU `xld10` the
  documented test numbers (087800001230 Sukses sn "1234567890", ...1232 Gagal rc 02,
  ...1233 Pending then Sukses, ...1234 Pending then Gagal). Rejections that create no
  transaction (43, 44, 53, 69) answer HTTP 400 with the transaction fields (the HTTP status
  is inferred; the adapter reads the rc either way).
- /inquiry-pln: the PLN account check, signed md5(username + key + customer_no). A stable
  fake customer (name, subscriber id, tariff/power, all derived from the number) for any
  11-12 digit number; `UNKNOWN_METER` (00000000000) is rc 54 "Nomor Tujuan Salah" (no such
  customer); another length is rc 57. The shared endings that break a reply apply: 94 slow,
  95 HTTP 500, 96 HTTP 429, 97 malformed JSON, 98 connection reset. (Digiflazz's page
  documents no test numbers for this call: these are the simulator's.)
- /cek-saldo: a deposit of 10,000,000 minus what Sukses and Pending transactions charged
  (a failed one gives its money back; testing transactions are free).
- A pending transaction resolves after SIMULATOR_PENDING_SECONDS (81/82: after
  SIMULATOR_LONG_PENDING_SECONDS, hours, as Digiflazz's Pending can) and calls back to its
  `cb_url`, else SIMULATOR_CALLBACK_BASE_URL + /api/webhooks/digiflazz, signed like
  Digiflazz's Hookshot.
"""

import hashlib
import json
import logging
import re
import secrets
import time
import uuid

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, F, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from providers.digiflazz.client import CODE, digiflazz_sign
from providers.digiflazz.simulator_catalog import (
    MAX_GENERATED,
    TEST_SKU,
    price_list,
    product_for_sku,
)
from providers.digiflazz.simulator_postpaid import postpaid_price_list, postpaid_transaction
from providers.digiflazz.webhook import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    USER_AGENT,
    sign_callback,
)
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

STARTING_DEPOSIT = 10_000_000
SUKSES, PENDING, GAGAL = "Sukses", "Pending", "Gagal"
TEST_SERIAL = "1234567890"
TEST_NUMBERS = {
    "087800001230": Scenario.SUCCESS,
    "087800001232": Scenario.FAILURE,
    "087800001233": Scenario.PENDING_SUCCESS,
    "087800001234": Scenario.PENDING_FAILURE,
}
CALLBACK_PATH = "/api/webhooks/digiflazz"
MESSAGES = {
    "00": "Transaksi Sukses",
    "02": "Transaksi Gagal",
    "03": "Transaksi Pending",
    "40": "Payload Error",
    "41": "Signature tidak valid",
    "42": "Username tidak dikenal",
    "43": "SKU tidak di temukan atau Non-Aktif",
    "44": "Saldo tidak cukup",
    "53": "Produk Seller Sedang Tidak Tersedia",
    "69": "Harga seller lebih besar dari ketentuan harga Buyer",
    "54": "Nomor Tujuan Salah",
    "57": "Jumlah Digit Kurang Atau Lebih",
    "62": "Seller sedang mengalami gangguan",
}
# An account number ending in these two digits fails at this simulator only, at once, with
# a final rc (62, seller disrupted): the other simulators deliver it (their default), so a
# shop item with a second route shows a failover (README "Demo").
SELLER_DOWN_SUFFIX = "83"
# /inquiry-pln: the meter number the simulator knows no customer for.
UNKNOWN_METER = "00000000000"
FAKE_NAMES = (
    "SITI RAHAYU",
    "BUDI SANTOSO",
    "DEWI LESTARI",
    "AGUS SETIAWAN",
    "RINA WULANDARI",
    "HENDRA GUNAWAN",
    "NUR HIDAYAH",
    "EKO PRASETYO",
)
FAKE_SEGMENT_POWERS = ("R1 /000000900", "R1 /000001300", "R1 /000002200", "R1M/000000900")


# --- requests and replies ---------------------------------------------------------------------


def _error(rc: str, *, fields: dict | None = None) -> JsonResponse:
    return JsonResponse({"data": {**(fields or {}), "rc": rc, "message": MESSAGES[rc]}}, status=400)


def _authenticated(request: HttpRequest, *, required: tuple[str, ...], suffix):
    """(body, None) when the request is JSON with `required` strings, the configured username
    and a valid sign; (None, the Digiflazz error reply) otherwise."""
    try:
        body = json.loads(request.body)
    except ValueError:
        return None, _error("40")
    if not isinstance(body, dict) or not all(
        isinstance(body.get(name), str) and body[name] for name in required
    ):
        return None, _error("40")
    username, key = settings.DIGIFLAZZ_USERNAME, settings.DIGIFLAZZ_API_KEY
    if not username or body["username"] != username:
        return None, _error("42")
    expected = digiflazz_sign(username, key, suffix(body))
    if not secrets.compare_digest(expected, body["sign"].lower()):
        return None, _error("41")
    return body, None


def _deposit() -> int:
    charged = SimulatedOrder.objects.filter(provider=CODE, status__in=[SUKSES, PENDING]).aggregate(
        total=Sum(Cast(KT("state__charged"), BigIntegerField()))
    )["total"]
    return STARTING_DEPOSIT - (charged or 0)


def transaction_data(sim_order: SimulatedOrder) -> dict:
    """The `data` object Digiflazz sends for this transaction (reply and callback alike)."""
    state = sim_order.state
    if sim_order.status == SUKSES:
        rc, sn = "00", state["sn"]
    elif sim_order.status == PENDING:
        rc, sn = "03", ""
    else:
        rc, sn = state["failure_rc"], ""
    return {
        "ref_id": sim_order.reference,
        "customer_no": sim_order.request["customer_no"],
        "buyer_sku_code": sim_order.request["buyer_sku_code"],
        "message": MESSAGES[rc],
        "status": sim_order.status,
        "rc": rc,
        "sn": sn,
        "buyer_last_saldo": state["buyer_last_saldo"],
        "price": state["price"],
        "tele": "",
        "wa": "",
    }


def _reply(sim_order: SimulatedOrder) -> JsonResponse:
    return JsonResponse({"data": transaction_data(sim_order)})


def _serial(product: dict) -> str:
    if product["category"] == "PLN":
        token = "-".join(f"{secrets.randbelow(10_000):04d}" for _ in range(5))
        return f"{token}/SIMULASI PELANGGAN/R1/1300VA/{product['price'] // 1450}.5"
    return f"{secrets.randbelow(10**16):016d}"


# --- views ------------------------------------------------------------------------------------


def _int_param(request: HttpRequest, name: str, given: int | None) -> int | None:
    if given is not None:
        return given
    value = request.GET.get(name, "")
    if not value.isdigit():
        return None
    return int(value)


@csrf_exempt
@require_POST
def balance_view(request: HttpRequest, **_generated) -> JsonResponse:
    body, error = _authenticated(
        request, required=("cmd", "username", "sign"), suffix=lambda _: "depo"
    )
    if error:
        return error
    if body["cmd"] != "deposit":
        return _error("40")
    return JsonResponse({"data": {"deposit": _deposit()}})


@csrf_exempt
@require_POST
def price_list_view(
    request: HttpRequest, size: int | None = None, changed: int | None = None
) -> JsonResponse:
    body, error = _authenticated(
        request, required=("cmd", "username", "sign"), suffix=lambda _: "pricelist"
    )
    if error:
        return error
    size = _int_param(request, "size", size)
    if body["cmd"] == "pasca":
        return JsonResponse({"data": postpaid_price_list()})
    if body["cmd"] != "prepaid" or (size is not None and size > MAX_GENERATED):
        return _error("40")
    items = price_list(
        size=size,
        seed=_int_param(request, "seed", None) or 0,
        changed=min(_int_param(request, "changed", changed) or 0, 100),
    )
    return JsonResponse({"data": items})


@csrf_exempt
@require_POST
def transaction_view(request: HttpRequest, **_generated) -> HttpResponse:
    required = ("username", "buyer_sku_code", "customer_no", "ref_id", "sign")
    body, error = _authenticated(request, required=required, suffix=lambda b: b["ref_id"])
    if error:
        return error
    max_price, testing, cb_url = body.get("max_price"), body.get("testing"), body.get("cb_url")
    if (
        (max_price is not None and (isinstance(max_price, bool) or not isinstance(max_price, int)))
        or (testing is not None and not isinstance(testing, bool))
        or (cb_url is not None and not isinstance(cb_url, str))
    ):
        return _error("40")
    if "commands" in body:  # a postpaid bill (simulator_postpaid.py)
        return postpaid_transaction(body)
    existing = SimulatedOrder.objects.filter(provider=CODE, reference=body["ref_id"]).first()
    if existing is not None:
        return _reply(_checked(existing))
    return _create(body)


def _create(body: dict) -> HttpResponse:
    ref_id, sku, customer_no = body["ref_id"], body["buyer_sku_code"], body["customer_no"]
    testing = body.get("testing") is True or sku == TEST_SKU
    fields = {"ref_id": ref_id, "customer_no": customer_no, "buyer_sku_code": sku}
    refusal = {**fields, "status": GAGAL, "sn": "", "price": 0, "tele": "", "wa": ""}
    product = product_for_sku(sku)
    if product is None:
        return _error("43", fields=refusal)
    if not product["seller_product_status"]:
        return _error("53", fields=refusal)
    max_price = body.get("max_price")
    if max_price is not None and product["price"] > max_price:
        return _error("69", fields=refusal)

    test_number = testing and customer_no in TEST_NUMBERS
    if not test_number and re.sub(r"\D", "", customer_no)[-2:] == SELLER_DOWN_SUFFIX:
        return _error("62", fields=refusal)
    scenario = TEST_NUMBERS[customer_no] if test_number else scenario_for(customer_no)
    if scenario == Scenario.SERVER_ERROR:
        return HttpResponse(b"Internal Server Error", status=500, content_type="text/plain")
    if scenario == Scenario.RATE_LIMITED:
        return JsonResponse({"message": "Too Many Attempts."}, status=429)
    deposit = _deposit()
    charged = 0 if testing else product["price"]
    if scenario == Scenario.OUT_OF_BALANCE or charged > deposit:
        return _error("44", fields={**refusal, "buyer_last_saldo": deposit})

    pending = scenario in PENDING_SCENARIOS
    if pending:
        status, final_status = PENDING, SUKSES if PENDING_SCENARIOS[scenario] else GAGAL
    else:
        status, final_status = (GAGAL if scenario == Scenario.FAILURE else SUKSES), ""
    try:
        with transaction.atomic():
            sim_order = SimulatedOrder.objects.create(
                provider=CODE,
                reference=ref_id,
                external_id=uuid.uuid4().hex,
                status=status,
                request={key: value for key, value in body.items() if key != "sign"},
                state={
                    "price": product["price"],
                    "charged": charged,
                    "sn": TEST_SERIAL if test_number else _serial(product),
                    "failure_rc": "02",
                    "buyer_last_saldo": deposit if status == GAGAL else deposit - charged,
                },
                final_status=final_status,
                resolve_at=pending_resolve_at(scenario) if pending else None,
                callback_url=body.get("cb_url") or "",
            )
    except IntegrityError:  # the same ref_id raced in: answer with the one that won
        return _reply(SimulatedOrder.objects.get(provider=CODE, reference=ref_id))

    return scripted_reply(scenario, lambda: _reply(sim_order))


def fake_pln_customer(customer_no: str) -> dict:
    """The simulated PLN customer of a meter number: the same every time it is asked."""
    digest = int(hashlib.sha256(customer_no.encode()).hexdigest(), 16)
    return {
        "customer_no": customer_no,
        "meter_no": customer_no,
        "subscriber_id": f"5{digest % 10**11:011d}",
        "name": FAKE_NAMES[digest % len(FAKE_NAMES)],
        "segment_power": FAKE_SEGMENT_POWERS[(digest // 7) % len(FAKE_SEGMENT_POWERS)],
    }


@csrf_exempt
@require_POST
def inquiry_pln_view(request: HttpRequest, **_generated) -> HttpResponse:
    body, error = _authenticated(
        request, required=("username", "customer_no", "sign"), suffix=lambda b: b["customer_no"]
    )
    if error:
        return error
    customer_no = body["customer_no"]
    refusal = {"status": GAGAL, "customer_no": customer_no}
    if not customer_no.isdigit() or not 11 <= len(customer_no) <= 12:
        return _error("57", fields=refusal)
    if customer_no == UNKNOWN_METER:
        return _error("54", fields=refusal)
    scenario = scenario_for(customer_no)
    if scenario == Scenario.SERVER_ERROR:
        return HttpResponse(b"Internal Server Error", status=500, content_type="text/plain")
    if scenario == Scenario.RATE_LIMITED:
        return JsonResponse({"message": "Too Many Attempts."}, status=429)
    if scenario == Scenario.SLOW:
        time.sleep(settings.SIMULATOR_SLOW_SECONDS)
    if scenario in (Scenario.MALFORMED, Scenario.CONNECTION_RESET):
        return scripted_reply(scenario, lambda: HttpResponse(status=500))
    customer = fake_pln_customer(customer_no)
    return JsonResponse(
        {"data": {"message": "Transaksi Sukses", "status": SUKSES, "rc": "00", **customer}}
    )


def _checked(sim_order: SimulatedOrder) -> SimulatedOrder:
    """The transaction as a status check sees it: a due pending one resolves now (and calls
    back, once: the row lock and `resolve_at` guard against the beat tick doing it too)."""
    SimulatedOrder.objects.filter(pk=sim_order.pk).update(status_checks=F("status_checks") + 1)
    return simulator_resolve_if_due(sim_order)


@simulator_resolver(CODE)
def send_callback(sim_order: SimulatedOrder) -> None:
    """POST Digiflazz's `update` callback for a resolved transaction (`post_callback`)."""
    post_callback(sim_order, transaction_data(sim_order))


def post_callback(sim_order: SimulatedOrder, data: dict) -> None:
    """POST `data` as Digiflazz's `update` callback, signed with DIGIFLAZZ_WEBHOOK_SECRET;
    errors are logged, and `callback_sent_at` is set either way."""
    body = json.dumps({"data": data}).encode()
    url = sim_order.callback_url or settings.SIMULATOR_CALLBACK_BASE_URL.rstrip("/") + CALLBACK_PATH
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: "update",
        DELIVERY_HEADER: str(uuid.uuid4()),
        SIGNATURE_HEADER: sign_callback(settings.DIGIFLAZZ_WEBHOOK_SECRET, body),
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=5)
        if response.status_code >= 300:
            logger.warning("digiflazz callback to %s got HTTP %s", url, response.status_code)
    except requests.RequestException:
        logger.warning("digiflazz callback to %s failed", url, exc_info=True)
    SimulatedOrder.objects.filter(pk=sim_order.pk).update(callback_sent_at=timezone.now())


_v1 = [
    path("cek-saldo", balance_view),
    path("price-list", price_list_view),
    path("transaction", transaction_view),
    path("inquiry-pln", inquiry_pln_view),
]
urlpatterns = [
    path("v1/", include(_v1)),
    path("gen/<int:size>/<int:changed>/v1/", include(_v1)),
]
