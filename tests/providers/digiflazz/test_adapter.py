"""DigiflazzAdapter against faked HTTP (`responses`): the exact requests and every reply."""

import json
from decimal import Decimal

import pytest
import requests
import responses

from providers.base import (
    FinalProviderError,
    NotConfigured,
    OrderRequest,
    ProviderStatus,
    TransientProviderError,
)
from providers.digiflazz.adapter import DigiflazzAdapter
from providers.digiflazz.client import REDACTED_KEYS, DigiflazzClient
from providers.http import ProviderHttp
from providers.models import ProviderCall

pytestmark = pytest.mark.django_db

USERNAME, API_KEY = "buyer01", "dev-key-7f3a"
BASE = "https://api.digiflazz.com/v1"
REF = "TRX-20261123-7KQ2M9"
# md5(username + key + suffix), computed outside the code under test:
SIGN_DEPO = "65d9fadcd11564c4f2a4c970b76317dc"  # md5("buyer01dev-key-7f3adepo")
SIGN_PRICELIST = "5296d59b5a8932dc9774c69a568755da"  # md5("buyer01dev-key-7f3apricelist")
SIGN_REF = "e4c32bc1acbc346f914814e8b2b25c39"  # md5("buyer01dev-key-7f3aTRX-20261123-7KQ2M9")
ORDER = OrderRequest(
    reference=REF, sku="ML86", customer_no="12345678-1234", max_price=Decimal("19850.00")
)


def make_adapter(**kwargs) -> DigiflazzAdapter:
    http = ProviderHttp("digiflazz", redact_keys=REDACTED_KEYS, sleep=lambda _seconds: None)
    client = DigiflazzClient(username=USERNAME, api_key=API_KEY, base_url=BASE, http=http)
    return DigiflazzAdapter(client=client, **kwargs)


def sent_json(call_index: int = 0) -> dict:
    return json.loads(responses.calls[call_index].request.body)


def transaction_reply(rc: str, status: str, **extra) -> dict:
    return {
        "data": {
            "ref_id": REF,
            "customer_no": "12345678-1234",
            "buyer_sku_code": "ML86",
            "message": extra.pop("message", "msg"),
            "status": status,
            "rc": rc,
            "sn": "",
            "buyer_last_saldo": 480000,
            "price": 19850,
            "tele": "",
            "wa": "",
            **extra,
        }
    }


# --- settings -------------------------------------------------------------------------------


def test_from_settings_uses_production_url_when_simulators_are_off(settings):
    settings.SIMULATORS_ENABLED = False
    settings.DIGIFLAZZ_BASE_URL = ""
    settings.DIGIFLAZZ_USERNAME, settings.DIGIFLAZZ_API_KEY = USERNAME, API_KEY
    adapter = DigiflazzAdapter.from_settings()
    assert adapter.client.base_url == "https://api.digiflazz.com/v1"
    assert adapter.client.sign("depo") == SIGN_DEPO


def test_from_settings_points_at_the_simulator_when_on(settings):
    settings.SIMULATORS_ENABLED = True
    settings.DIGIFLAZZ_BASE_URL = ""
    settings.SITE_URL = "http://shop.local:8000/"
    assert DigiflazzAdapter.from_settings().client.base_url == (
        "http://shop.local:8000/sim/digiflazz/v1"
    )


def test_from_settings_names_the_missing_credentials(settings):
    settings.DIGIFLAZZ_USERNAME, settings.DIGIFLAZZ_API_KEY = "", ""
    with pytest.raises(NotConfigured) as error:
        DigiflazzAdapter.from_settings()
    assert "DIGIFLAZZ_USERNAME" in error.value.message
    assert "DIGIFLAZZ_API_KEY" in error.value.message


# --- balance ----------------------------------------------------------------------------------


@responses.activate
def test_get_balance_sends_the_signed_deposit_command_and_logs_the_call():
    responses.post(f"{BASE}/cek-saldo", json={"data": {"deposit": 500000}})

    balance = make_adapter().get_balance()

    assert balance.amount == Decimal("500000")
    assert balance.currency == "IDR"
    assert sent_json() == {"cmd": "deposit", "username": USERNAME, "sign": SIGN_DEPO}
    request = responses.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    call = ProviderCall.objects.get()
    assert call.provider == "digiflazz"
    assert call.endpoint == "cek-saldo"
    assert call.http_status == 200
    assert call.request_id == request.headers["X-REQUEST-ID"]
    assert SIGN_DEPO not in call.request_body
    assert API_KEY not in call.request_body


@responses.activate
def test_get_balance_bad_signature_is_final():
    responses.post(
        f"{BASE}/cek-saldo",
        json={"data": {"rc": "41", "message": "Signature tidak valid"}},
        status=400,
    )
    with pytest.raises(FinalProviderError) as error:
        make_adapter().get_balance()
    assert error.value.code == "41"


@responses.activate
def test_get_balance_retries_5xx_then_is_transient():
    responses.post(f"{BASE}/cek-saldo", status=503)
    with pytest.raises(TransientProviderError):
        make_adapter().get_balance()
    assert len(responses.calls) == 3
    assert ProviderCall.objects.count() == 3


@responses.activate
def test_get_balance_malformed_json_is_transient():
    responses.post(f"{BASE}/cek-saldo", body=b'{"data": {"dep', status=200)
    with pytest.raises(TransientProviderError):
        make_adapter().get_balance()


# --- price list -------------------------------------------------------------------------------


def price_item(sku, category, brand, **extra) -> dict:
    return {
        "product_name": f"{brand} {sku}",
        "category": category,
        "brand": brand,
        "type": "Umum",
        "seller_name": "SELLER",
        "price": 20000,
        "buyer_sku_code": sku,
        "buyer_product_status": True,
        "seller_product_status": True,
        "unlimited_stock": False,
        "stock": 10,
        "multi": True,
        "start_cut_off": "00:00",
        "end_cut_off": "00:00",
        "desc": f"desc {sku}",
        **extra,
    }


@responses.activate
def test_fetch_catalog_sends_the_signed_prepaid_command_and_maps_items():
    items = [
        price_item("ML86", "Games", "MOBILE LEGENDS", price=19850),
        price_item("FF70", "Games", "FREE FIRE"),
        price_item("TSEL10", "Pulsa", "TELKOMSEL", seller_product_status=False),
        price_item("XLD1", "Data", "XL", buyer_product_status=False),
        price_item("DANA10", "E-Money", "DANA", price=10120.5),
        price_item("PLN20", "PLN", "PLN"),
        price_item("GPLAY", "Voucher", "GOOGLE PLAY"),
    ]
    responses.post(f"{BASE}/price-list", json={"data": items})

    catalog = {item.sku: item for item in make_adapter().fetch_catalog()}

    assert sent_json() == {"cmd": "prepaid", "username": USERNAME, "sign": SIGN_PRICELIST}
    ml = catalog["ML86"]
    assert (ml.name, ml.brand, ml.category) == ("MOBILE LEGENDS ML86", "MOBILE LEGENDS", "Games")
    assert ml.cost == Decimal("19850")
    assert ml.currency == "IDR"
    assert ml.active is True
    assert ml.description == "desc ML86"
    assert ml.denomination_type == "fixed"
    assert ml.raw["buyer_sku_code"] == "ML86"
    assert catalog["DANA10"].cost == Decimal("10120.5")
    assert catalog["TSEL10"].active is False
    assert catalog["XLD1"].active is False
    schemas = {sku: item.input_schema for sku, item in catalog.items()}
    assert schemas == {
        "ML86": "game_zone",
        "FF70": "game",
        "TSEL10": "phone",
        "XLD1": "phone",
        "DANA10": "phone",
        "PLN20": "pln",
        "GPLAY": "other",
    }


@responses.activate
def test_fetch_catalog_rate_limit_is_transient_and_bad_username_final():
    responses.post(
        f"{BASE}/price-list", json={"data": {"rc": "83", "message": "limit"}}, status=400
    )
    with pytest.raises(TransientProviderError) as transient:
        make_adapter().fetch_catalog()
    assert transient.value.code == "83"

    bad_username = {"data": {"rc": "42", "message": "x"}}
    responses.replace(responses.POST, f"{BASE}/price-list", json=bad_username, status=400)
    with pytest.raises(FinalProviderError) as final:
        make_adapter().fetch_catalog()
    assert final.value.code == "42"


# --- transactions -----------------------------------------------------------------------------


@responses.activate
def test_place_order_sends_the_exact_signed_body_with_max_price():
    responses.post(f"{BASE}/transaction", json=transaction_reply("03", "Pending"))

    result = make_adapter().place_order(ORDER)

    assert result.status == ProviderStatus.PENDING
    assert sent_json() == {
        "username": USERNAME,
        "buyer_sku_code": "ML86",
        "customer_no": "12345678-1234",
        "ref_id": REF,
        "sign": SIGN_REF,
        "max_price": 19850,
    }
    call = ProviderCall.objects.get()
    assert call.reference == REF
    assert call.endpoint == "transaction"
    assert call.request_id == responses.calls[0].request.headers["X-REQUEST-ID"]


@responses.activate
def test_place_order_sends_testing_and_cb_url_when_configured():
    responses.post(f"{BASE}/transaction", json=transaction_reply("03", "Pending"))
    adapter = make_adapter(testing=True, callback_url="https://shop.example/api/webhooks/df")

    adapter.place_order(OrderRequest(reference=REF, sku="xld10", customer_no="087800001230"))

    body = sent_json()
    assert body["testing"] is True
    assert body["cb_url"] == "https://shop.example/api/webhooks/df"
    assert "max_price" not in body


@responses.activate
def test_success_maps_the_serial_and_keeps_it_out_of_the_call_log():
    responses.post(
        f"{BASE}/transaction",
        json=transaction_reply("00", "Sukses", sn="5566778899001122", message="Transaksi Sukses"),
    )

    result = make_adapter().place_order(ORDER)

    assert result.status == ProviderStatus.SUCCESS
    assert result.rc == "00"
    assert result.message == "Transaksi Sukses"
    assert [v.serial for v in result.vouchers] == ["5566778899001122"]
    assert result.vouchers[0].code == ""  # not a PLN token
    assert result.raw["price"] == 19850
    call = ProviderCall.objects.get()
    assert "5566778899001122" not in call.response_body
    assert SIGN_REF not in call.request_body


@responses.activate
def test_a_pln_token_becomes_the_voucher_code():
    sn = "1234-5678-9012-3456-7890/BUDI SANTOSO/R1/1300VA/13.8"
    responses.post(f"{BASE}/transaction", json=transaction_reply("00", "Sukses", sn=sn))

    (voucher,) = make_adapter().place_order(ORDER).vouchers

    assert voucher.serial == sn
    assert voucher.code == "1234-5678-9012-3456-7890"


@pytest.mark.parametrize(
    ("rc", "status", "http_status", "expected"),
    [
        ("00", "Sukses", 200, ProviderStatus.SUCCESS),
        ("03", "Pending", 200, ProviderStatus.PENDING),
        ("99", "Pending", 200, ProviderStatus.PENDING),
        ("01", "Gagal", 200, ProviderStatus.FAILED),  # today's meaning: timeout, failed
        ("01", "Pending", 200, ProviderStatus.PENDING),  # the seed's older reading: status wins
        ("00", "Pending", 200, ProviderStatus.PENDING),  # status is the truth
        ("03", "Gagal", 200, ProviderStatus.FAILED),
        ("02", "Gagal", 200, ProviderStatus.FAILED),
        ("40", "", 400, ProviderStatus.FAILED),
        ("41", "", 400, ProviderStatus.FAILED),
        ("42", "Gagal", 400, ProviderStatus.FAILED),
        ("43", "Gagal", 400, ProviderStatus.FAILED),
        ("47", "Gagal", 200, ProviderStatus.FAILED),
        ("54", "Gagal", 200, ProviderStatus.FAILED),
        ("69", "Gagal", 200, ProviderStatus.FAILED),
        ("85", "Gagal", 200, ProviderStatus.UNKNOWN),  # not created: re-post later
        ("49", "Gagal", 200, ProviderStatus.UNKNOWN),  # exists, outcome unknown: never refund
        ("50", "Gagal", 200, ProviderStatus.FAILED),  # place: nothing was created
        ("77", "Gagal", 200, ProviderStatus.FAILED),  # undocumented rc, status says Gagal
        ("77", "", 200, ProviderStatus.FAILED),
    ],
)
@responses.activate
def test_place_order_maps_rc_and_status(rc, status, http_status, expected):
    reply = transaction_reply(rc, status) if status else {"data": {"rc": rc, "message": "m"}}
    responses.post(f"{BASE}/transaction", json=reply, status=http_status)

    result = make_adapter().place_order(ORDER)

    assert result.status == expected
    assert result.rc == rc
    assert result.provider_out_of_balance is False


@responses.activate
def test_rc_44_is_a_failure_that_flags_the_providers_balance():
    responses.post(
        f"{BASE}/transaction", json=transaction_reply("44", "Gagal", message="Saldo tidak cukup")
    )
    result = make_adapter().place_order(ORDER)
    assert result.status == ProviderStatus.FAILED
    assert result.provider_out_of_balance is True
    assert result.message == "Saldo tidak cukup"


@responses.activate
def test_check_order_maps_rc_50_to_not_found_and_reposts_the_same_body():
    responses.post(f"{BASE}/transaction", json=transaction_reply("50", "Gagal"), status=400)

    result = make_adapter().check_order(ORDER)

    assert result.status == ProviderStatus.NOT_FOUND
    assert sent_json()["ref_id"] == REF
    assert sent_json()["sign"] == SIGN_REF
    assert sent_json()["max_price"] == 19850


@pytest.mark.parametrize(
    "reply",
    [
        {"status": 500},
        {"status": 502, "body": b"<html>Bad Gateway</html>"},
        {"status": 429, "json": {"message": "Too Many Attempts."}},
        {"status": 200, "body": b'{"data": {"status": "Sukses", '},
        {"status": 200, "json": {"message": "no data here"}},
        {"status": 404, "body": b"Not Found"},
        {"body": requests.exceptions.ReadTimeout("read timed out")},
        {"body": requests.exceptions.ConnectionError("reset by peer")},
    ],
)
@responses.activate
def test_place_order_is_unknown_when_the_outcome_cannot_be_known(reply):
    responses.post(f"{BASE}/transaction", **reply)

    result = make_adapter().place_order(ORDER)

    assert result.status == ProviderStatus.UNKNOWN
    assert result.vouchers == []
    assert len(responses.calls) == 1  # placing is never retried blindly


@responses.activate
def test_check_order_retries_a_5xx_then_reads_the_final_state():
    responses.post(f"{BASE}/transaction", status=502)
    responses.post(f"{BASE}/transaction", json=transaction_reply("00", "Sukses", sn="99"))

    result = make_adapter().check_order(ORDER)

    assert result.status == ProviderStatus.SUCCESS
    assert len(responses.calls) == 2
    assert sent_json(0) == sent_json(1)
