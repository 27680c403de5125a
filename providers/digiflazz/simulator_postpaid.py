"""The Digiflazz simulator's postpaid bills: the `cmd: pasca` price list and the
`inq-pasca`, `pay-pasca` and `status-pasca` commands of /transaction (wire format and test
numbers: docs/providers/digiflazz.md, "Postpaid bills").

`simulator.py` hands these requests here after checking username and signature. Each
inquiry is one SimulatedOrder (provider `digiflazz-pasca`, keyed by ref_id) holding the bill;
paying it moves that row, so a second `pay-pasca` with the same ref_id answers with the
first payment and charges nothing again. A bill paid successfully makes every later
inquiry of the same SKU and number answer rc 60 (already paid). A pending payment resolves
after SIMULATOR_PENDING_SECONDS and calls back like a top-up.
"""

import re
import secrets
import uuid
from datetime import date
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from providers.models import SimulatedOrder
from providers.simulators import (
    PENDING_SCENARIOS,
    Scenario,
    pending_resolve_at,
    scenario_for,
    simulator_resolve_if_due,
    simulator_resolver,
)

PROVIDER = "digiflazz-pasca"  # SimulatedOrder rows of bills, apart from the top-ups
JAKARTA = ZoneInfo("Asia/Jakarta")
INQUIRED, SUKSES, PENDING, GAGAL = "Inquiry", "Sukses", "Pending", "Gagal"
MESSAGES = {
    "00": "Transaksi Sukses",
    "02": "Transaksi Gagal",
    "03": "Transaksi Pending",
    "40": "Payload Error",
    "43": "SKU tidak di temukan atau Non-Aktif",
    "50": "Transaksi Tidak Ditemukan",
    "54": "Nomor Tujuan Salah",
    "57": "Jumlah Digit Tidak Sesuai",
    "60": "Tagihan sudah terbayar atau belum tersedia",
}
CUSTOMER_NO = re.compile(r"^\d{8,20}$")


def _product(sku: str, name: str, category: str, brand: str, admin: int) -> dict:
    return {
        "product_name": name,
        "category": category,
        "brand": brand,
        "seller_name": "SIMULATOR",
        "admin": admin,
        "commission": 700,
        "buyer_sku_code": sku,
        "buyer_product_status": True,
        "seller_product_status": True,
        "desc": "-",
    }


POSTPAID_PRODUCTS = [
    _product("pln", "PLN Pascabayar", "PLN", "PLN", 2_500),
    _product("bpjs", "BPJS Kesehatan", "BPJS", "BPJS KESEHATAN", 2_500),
    _product("pdam", "PDAM Kota Bandung", "PDAM", "PDAM", 2_500),
    _product("halo", "Telkomsel Halo", "HP Pascabayar", "TELKOMSEL", 2_000),
    _product("indihome", "IndiHome", "Internet Pascabayar", "INDIHOME", 2_500),
    _product("fif", "FIF Group", "Multifinance", "FIF", 5_000),
]
_BY_SKU = {product["buyer_sku_code"]: product for product in POSTPAID_PRODUCTS}

# Test numbers: (periods of the bill or an inquiry refusal's rc, payment scenario).
TEST_BILLS: dict[str, tuple[int | str, Scenario]] = {
    "530000000001": (1, Scenario.SUCCESS),
    "530000000002": (3, Scenario.SUCCESS),
    "530000000003": (1, Scenario.PENDING_SUCCESS),
    "530000000004": ("60", Scenario.SUCCESS),
    "530000000005": ("54", Scenario.SUCCESS),
    "530000000006": (1, Scenario.FAILURE),
    "530000000007": (1, Scenario.PENDING_FAILURE),
}
COMMISSION_PER_PERIOD = 700


def postpaid_price_list() -> list[dict]:
    return [dict(product) for product in POSTPAID_PRODUCTS]


def _today() -> date:
    return timezone.now().astimezone(JAKARTA).date()


def _refusal(body: dict, rc: str) -> JsonResponse:
    data = {
        "ref_id": body["ref_id"],
        "customer_no": body["customer_no"],
        "buyer_sku_code": body["buyer_sku_code"],
        "message": MESSAGES[rc],
        "status": GAGAL,
        "rc": rc,
        "sn": "",
        "price": 0,
        "selling_price": 0,
    }
    return JsonResponse({"data": data})


def _periods(count: int, *, month: date) -> list[date]:
    months = []
    year, number = month.year, month.month
    for _ in range(count):
        number -= 1
        if number == 0:
            year, number = year - 1, 12
        months.append(date(year, number, 1))
    return sorted(months)


def _bill(product: dict, customer_no: str, periods: int) -> dict:
    """A realistic bill of `periods` months for this number (deterministic amounts)."""
    seed = int(customer_no[-4:])
    admin_per_period = product["admin"]
    detail = []
    meter = 10_000 + seed * 3
    for index, month in enumerate(_periods(periods, month=_today())):
        amount = 50_000 + (seed * 37 + index * 11_000) % 400_000
        amount -= amount % 100
        penalty = 5_000 if periods > 1 and index < periods - 1 else 0
        item = {
            "periode": f"{month:%Y%m}",
            "nilai_tagihan": str(amount),
            "admin": str(admin_per_period),
            "denda": str(penalty),
        }
        if product["category"] in ("PLN", "PDAM"):
            used = 120 + (seed + index * 7) % 300
            item.update(meter_awal=f"{meter:08d}", meter_akhir=f"{meter + used:08d}")
            meter += used
        detail.append(item)
    desc = _desc(product, detail)
    bill_total = sum(int(i["nilai_tagihan"]) + int(i["denda"]) for i in detail)
    admin = admin_per_period * periods
    return {
        "customer_name": f"PELANGGAN SIMULASI {customer_no[-4:]}",
        "admin": admin,
        "selling_price": bill_total + admin,
        "price": bill_total + admin - COMMISSION_PER_PERIOD * periods,
        "desc": desc,
    }


def _desc(product: dict, detail: list[dict]) -> dict:
    category = product["category"]
    desc: dict = {"lembar_tagihan": len(detail), "detail": detail}
    if category == "PLN":
        desc.update(tarif="R1", daya=1300)
    elif category == "BPJS":
        desc.update(jumlah_peserta="2", alamat="JAKARTA PUSAT")
    elif category == "PDAM":
        desc.update(tarif="2A", alamat="JL. ASIA AFRIKA 8 BANDUNG", jatuh_tempo="20")
    elif category == "Multifinance":
        desc.update(item_name="HONDA VARIO 125", no_pol="D 1234 ABC", tenor="024")
    return desc


def _data(sim_order: SimulatedOrder) -> dict:
    """The `data` object of this bill: the inquiry's, or the payment's once paid."""
    state = sim_order.state
    status = SUKSES if sim_order.status == INQUIRED else sim_order.status
    rc = {SUKSES: "00", PENDING: "03"}.get(status, state.get("failure_rc", "02"))
    paid = sim_order.status in (SUKSES,)
    return {
        "ref_id": sim_order.reference,
        "customer_no": sim_order.request["customer_no"],
        "buyer_sku_code": sim_order.request["buyer_sku_code"],
        "message": MESSAGES[rc],
        "status": status,
        "rc": rc,
        "sn": state["sn"] if paid else "",
        "buyer_last_saldo": 10_000_000,
        **state["bill"],
    }


def postpaid_transaction(body: dict) -> HttpResponse:
    """One of the postpaid commands (the caller checked username and sign)."""
    commands = body.get("commands")
    if commands == "inq-pasca":
        return _inquire(body)
    if commands in ("pay-pasca", "status-pasca"):
        rows = SimulatedOrder.objects.filter(provider=PROVIDER, reference=body["ref_id"])
        sim_order = rows.first()
        if commands == "pay-pasca":
            return _pay(body, sim_order)
        if sim_order is None or sim_order.status == INQUIRED:
            return _refusal(body, "50")
        SimulatedOrder.objects.filter(pk=sim_order.pk).update(status_checks=F("status_checks") + 1)
        return JsonResponse({"data": _data(simulator_resolve_if_due(sim_order))})
    return JsonResponse({"data": {"rc": "40", "message": MESSAGES["40"]}}, status=400)


def _inquire(body: dict) -> HttpResponse:
    ref_id, sku, customer_no = body["ref_id"], body["buyer_sku_code"], body["customer_no"]
    existing = SimulatedOrder.objects.filter(provider=PROVIDER, reference=ref_id).first()
    if existing is not None:  # the same inquiry again: the same bill
        return JsonResponse({"data": _data(existing)})
    product = _BY_SKU.get(sku)
    if product is None:
        return _refusal(body, "43")
    if not CUSTOMER_NO.match(customer_no):
        return _refusal(body, "57")
    periods, _scenario = TEST_BILLS.get(customer_no, (1, Scenario.SUCCESS))
    if isinstance(periods, str):
        return _refusal(body, periods)
    already_paid = SimulatedOrder.objects.filter(
        provider=PROVIDER, status=SUKSES, request__buyer_sku_code=sku
    ).filter(request__customer_no=customer_no)
    if already_paid.exists():
        return _refusal(body, "60")
    try:
        with transaction.atomic():
            sim_order = SimulatedOrder.objects.create(
                provider=PROVIDER,
                reference=ref_id,
                external_id=uuid.uuid4().hex,
                status=INQUIRED,
                request={key: value for key, value in body.items() if key != "sign"},
                state={
                    "bill": _bill(product, customer_no, periods),
                    "inquired_on": _today().isoformat(),
                    "sn": "",
                },
            )
    except IntegrityError:
        sim_order = SimulatedOrder.objects.get(provider=PROVIDER, reference=ref_id)
    return JsonResponse({"data": _data(sim_order)})


def _payment_scenario(customer_no: str) -> Scenario:
    if customer_no in TEST_BILLS:
        return TEST_BILLS[customer_no][1]
    scenario = scenario_for(customer_no)
    allowed = (Scenario.FAILURE, Scenario.SERVER_ERROR, *PENDING_SCENARIOS)
    return scenario if scenario in allowed else Scenario.SUCCESS


def _pay(body: dict, sim_order: SimulatedOrder | None) -> HttpResponse:
    if sim_order is None:
        return _refusal(body, "50")
    with transaction.atomic():
        sim_order = SimulatedOrder.objects.select_for_update().get(pk=sim_order.pk)
        if sim_order.status != INQUIRED:  # paid before: the same answer, no second charge
            return JsonResponse({"data": _data(simulator_resolve_if_due(sim_order))})
        request = sim_order.request
        if (request["buyer_sku_code"], request["customer_no"]) != (
            body["buyer_sku_code"],
            body["customer_no"],
        ) or sim_order.state["inquired_on"] != _today().isoformat():
            return _refusal(body, "02")  # another bill, or an inquiry of another day
        scenario = _payment_scenario(body["customer_no"])
        if scenario == Scenario.SERVER_ERROR:
            return HttpResponse(b"Internal Server Error", status=500, content_type="text/plain")
        state = {**sim_order.state, "sn": f"SIM{secrets.token_hex(8).upper()}"}
        if scenario in PENDING_SCENARIOS:
            sim_order.status = PENDING
            sim_order.final_status = SUKSES if PENDING_SCENARIOS[scenario] else GAGAL
            sim_order.resolve_at = pending_resolve_at(scenario)
        else:
            sim_order.status = GAGAL if scenario == Scenario.FAILURE else SUKSES
        sim_order.state = state
        sim_order.callback_url = body.get("cb_url") or ""
        sim_order.save()
    return JsonResponse({"data": _data(sim_order)})


@simulator_resolver(PROVIDER)
def send_postpaid_callback(sim_order: SimulatedOrder) -> None:
    from providers.digiflazz.simulator import post_callback  # it imports this module

    post_callback(sim_order, _data(sim_order))
