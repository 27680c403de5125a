"""Digiflazz postpaid bills: the real adapter against the simulator over real HTTP
(live_server), and `responses` fixtures for the replies the simulator does not make."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import responses
from django.utils import timezone

from providers.base import (
    FinalProviderError,
    OrderRequest,
    ProviderStatus,
    TransientProviderError,
)
from providers.digiflazz import simulator
from providers.digiflazz.adapter import DigiflazzAdapter
from providers.digiflazz.client import DigiflazzClient, digiflazz_sign
from providers.digiflazz.postpaid import DigiflazzPostpaid
from providers.models import SimulatedOrder
from providers.simulators import simulators_resolve_due


@pytest.fixture
def postpaid(live_server, settings) -> DigiflazzPostpaid:
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    settings.DIGIFLAZZ_TESTING = False
    settings.SIMULATOR_CALLBACK_BASE_URL = "http://shop.test"
    return DigiflazzPostpaid.from_settings()


@pytest.fixture
def callbacks(monkeypatch) -> list[SimpleNamespace]:
    sent = []

    def capture(url, *, data, headers, timeout):
        sent.append(SimpleNamespace(url=url, body=data, headers=headers))
        return SimpleNamespace(status_code=200)

    monkeypatch.setattr(simulator.requests, "post", capture)
    return sent


def bill_request(reference: str, customer_no: str, sku: str = "pln") -> OrderRequest:
    return OrderRequest(reference=reference, sku=sku, customer_no=customer_no, postpaid=True)


pytestmark = pytest.mark.django_db(transaction=True)


def test_price_list_has_one_item_per_bill_type(postpaid):
    items = {item.sku: item for item in postpaid.fetch_bill_catalog()}

    assert {"pln", "bpjs", "pdam", "halo", "indihome", "fif"} <= set(items)
    assert items["pln"].denomination_type == "bill"
    assert items["pln"].cost == 0
    assert items["halo"].category == "HP Pascabayar"


def test_inquiry_of_one_period_tells_the_bill_and_its_stand_meter(postpaid):
    bill = postpaid.inquire(sku="pln", customer_no="530000000001", reference="B-1")

    assert bill.customer_name == "PELANGGAN SIMULASI 0001"
    assert len(bill.periods) == 1
    assert bill.admin_fee == Decimal("2500")
    assert bill.bill_amount == bill.periods[0].amount + bill.periods[0].penalty
    assert bill.cost == bill.bill_amount + bill.admin_fee - 700
    assert bill.periods[0].meter_start
    assert bill.periods[0].meter_end
    assert bill.details["tarif"] == "R1"


def test_inquiry_of_several_periods_adds_them_up_with_penalties(postpaid):
    bill = postpaid.inquire(sku="pdam", customer_no="530000000002", reference="B-2")

    assert len(bill.periods) == 3
    assert bill.admin_fee == Decimal("7500")
    assert bill.bill_amount == sum(p.amount + p.penalty for p in bill.periods)
    assert sum(p.penalty for p in bill.periods) == Decimal("10000")


@pytest.mark.parametrize(("number", "rc"), [("530000000004", "60"), ("530000000005", "54")])
def test_inquiry_of_a_paid_or_unknown_bill_is_refused(postpaid, number, rc):
    with pytest.raises(FinalProviderError) as refused:
        postpaid.inquire(sku="bpjs", customer_no=number, reference=f"B-{rc}")

    assert refused.value.code == rc


def test_payment_with_the_inquiry_ref_id_pays_once(postpaid):
    postpaid.inquire(sku="pln", customer_no="530000000001", reference="B-PAY")

    first = postpaid.pay(bill_request("B-PAY", "530000000001"))
    again = postpaid.pay(bill_request("B-PAY", "530000000001"))

    assert first.status == ProviderStatus.SUCCESS
    assert first.vouchers[0].serial.startswith("SIM")
    assert again.status == ProviderStatus.SUCCESS
    assert again.vouchers[0].serial == first.vouchers[0].serial
    assert first.raw["desc"]["detail"][0]["meter_awal"]
    # Once paid, a new inquiry of the same bill says it is paid.
    with pytest.raises(FinalProviderError) as refused:
        postpaid.inquire(sku="pln", customer_no="530000000001", reference="B-PAY-2")
    assert refused.value.code == "60"


def test_payment_without_an_inquiry_fails_and_status_says_not_found(postpaid):
    assert postpaid.check(bill_request("B-NONE", "530000000001")).status == (
        ProviderStatus.NOT_FOUND
    )
    assert postpaid.pay(bill_request("B-NONE", "530000000001")).status == ProviderStatus.FAILED


def test_payment_of_another_days_inquiry_fails(postpaid):
    postpaid.inquire(sku="pln", customer_no="530000000001", reference="B-OLD")
    row = SimulatedOrder.objects.get(reference="B-OLD")
    row.state = {**row.state, "inquired_on": "2001-01-01"}
    row.save()

    result = postpaid.pay(bill_request("B-OLD", "530000000001"))

    assert (result.status, result.rc) == (ProviderStatus.FAILED, "02")


def test_failed_payment_is_a_final_failure(postpaid):
    postpaid.inquire(sku="halo", customer_no="530000000006", reference="B-FAIL")

    result = postpaid.pay(bill_request("B-FAIL", "530000000006", sku="halo"))

    assert (result.status, result.rc) == (ProviderStatus.FAILED, "02")


@pytest.mark.parametrize(
    ("number", "final", "rc"),
    [("530000000003", ProviderStatus.SUCCESS, "00"), ("530000000007", ProviderStatus.FAILED, "02")],
)
def test_pending_payment_resolves_later_with_a_callback(postpaid, callbacks, number, final, rc):
    postpaid.inquire(sku="pln", customer_no=number, reference=f"B-P{rc}")

    placed = postpaid.pay(bill_request(f"B-P{rc}", number))
    assert placed.status == ProviderStatus.PENDING
    assert postpaid.check(bill_request(f"B-P{rc}", number)).status == ProviderStatus.PENDING

    SimulatedOrder.objects.filter(reference=f"B-P{rc}").update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )
    assert simulators_resolve_due() == 1

    assert postpaid.check(bill_request(f"B-P{rc}", number)).status == final
    [callback] = callbacks
    assert callback.url == "http://shop.test/api/webhooks/digiflazz"
    assert b'"rc": "%s"' % rc.encode() in callback.body


def test_the_prepaid_adapter_pays_a_postpaid_request(postpaid):
    adapter = DigiflazzAdapter.from_settings()
    postpaid.inquire(sku="bpjs", customer_no="530000000001", reference="B-ADAPTER")

    placed = adapter.place_order(bill_request("B-ADAPTER", "530000000001", sku="bpjs"))
    checked = adapter.check_order(bill_request("B-ADAPTER", "530000000001", sku="bpjs"))

    assert placed.status == checked.status == ProviderStatus.SUCCESS


# --- responses fixtures: replies the simulator does not make ---------------------------------

BASE = "https://digiflazz.test/v1"


@pytest.fixture
def offline() -> DigiflazzPostpaid:
    client = DigiflazzClient(username="user", api_key="key", base_url=BASE)
    return DigiflazzPostpaid(adapter=DigiflazzAdapter(client=client))


@responses.activate
def test_request_bodies_are_signed_with_the_ref_id(offline):
    responses.post(
        f"{BASE}/transaction",
        json={"data": {"rc": "50", "status": "Gagal", "message": "Transaksi Tidak Ditemukan"}},
    )

    offline.check(bill_request("REF-1", "530000000001"))

    body = responses.calls[0].request.body
    assert b'"commands": "status-pasca"' in body
    assert digiflazz_sign("user", "key", "REF-1").encode() in body


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ({"status": 500, "body": "oops"}, ProviderStatus.UNKNOWN),
        ({"status": 429, "json": {"message": "Too Many Attempts."}}, ProviderStatus.UNKNOWN),
        ({"status": 200, "body": "<html>"}, ProviderStatus.UNKNOWN),
        ({"status": 200, "json": {"data": {"rc": "03", "status": "Pending"}}}, "PENDING"),
        ({"status": 200, "json": {"data": {"rc": "99", "status": "Pending"}}}, "PENDING"),
        (
            {"status": 200, "json": {"data": {"rc": "00", "status": "Sukses", "sn": "R1"}}},
            "SUCCESS",
        ),
        ({"status": 400, "json": {"data": {"rc": "44", "status": "Gagal"}}}, "FAILED"),
        ({"status": 200, "json": {"data": {"rc": "85", "status": "Gagal"}}}, "UNKNOWN"),
        ({"status": 200, "json": {"data": {"rc": "50", "status": "Gagal"}}}, "FAILED"),
    ],
)
@responses.activate
def test_payment_replies_map_to_statuses(offline, reply, status):
    responses.post(f"{BASE}/transaction", **reply)

    assert offline.pay(bill_request("REF-2", "530000000001")).status == status


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ({"status": 500, "body": "oops"}, TransientProviderError),
        (
            {"status": 200, "json": {"data": {"rc": "03", "status": "Pending"}}},
            TransientProviderError,
        ),
        ({"status": 200, "json": {"data": {"rc": "60", "status": "Gagal"}}}, FinalProviderError),
        ({"status": 400, "json": {"data": {"rc": "41", "status": "Gagal"}}}, FinalProviderError),
        (
            {
                "status": 200,
                "json": {
                    "data": {"rc": "00", "status": "Sukses", "admin": 2500, "selling_price": 2500}
                },
            },
            TransientProviderError,
        ),
        (
            {
                "status": 200,
                "json": {"data": {"rc": "00", "status": "Sukses", "selling_price": "NaN"}},
            },
            TransientProviderError,
        ),
    ],
)
@responses.activate
def test_inquiry_refusals_and_unreadable_bills(offline, reply, error):
    responses.post(f"{BASE}/transaction", **reply)

    with pytest.raises(error):
        offline.inquire(sku="pln", customer_no="530000000001", reference="REF-3")


def test_bill_products_sync_keeps_one_product_per_bill_type(postpaid):
    from catalog.models import PricingRule, Product
    from providers.bill_catalog import bill_demo_fees, bill_products_sync

    assert bill_products_sync(provider_code="digiflazz") == 6
    Product.objects.filter(provider_sku="fif").update(provider_sku="gone")
    assert bill_products_sync(provider_code="digiflazz") == 6
    bill_demo_fees()

    pln = Product.objects.get(provider_sku="pln")
    assert pln.is_bill
    assert pln.category.slug == "bills-pln"
    assert pln.price_retail is None  # never on sale as a product
    assert Product.objects.get(provider_sku="halo").category.slug == "bills-telco"
    assert not Product.objects.get(provider_sku="gone").provider_active
    assert PricingRule.objects.filter(category__slug="bills-pln").count() == 2


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            {"status": 200, "json": {"data": {"rc": "83", "message": "limit"}}},
            TransientProviderError,
        ),
        ({"status": 400, "json": {"data": {"rc": "41", "message": "sign"}}}, FinalProviderError),
        ({"status": 502, "body": "bad gateway"}, TransientProviderError),
        ({"status": 200, "json": {"data": {"deposit": 1}}}, TransientProviderError),
    ],
)
@responses.activate
def test_postpaid_price_list_errors(offline, reply, error):
    responses.post(f"{BASE}/price-list", **reply)

    with pytest.raises(error):
        offline.fetch_bill_catalog()
    assert b'"cmd": "pasca"' in responses.calls[0].request.body
    assert digiflazz_sign("user", "key", "pricelist").encode() in responses.calls[0].request.body
