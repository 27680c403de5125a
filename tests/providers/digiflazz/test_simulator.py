"""The real DigiflazzAdapter against its simulator over real HTTP (live_server)."""

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from django.db import connection
from django.utils import timezone

from providers.base import FinalProviderError, OrderRequest, ProviderStatus
from providers.digiflazz import simulator
from providers.digiflazz.adapter import DigiflazzAdapter
from providers.digiflazz.webhook import parse_callback_body, verify_callback
from providers.models import ProviderCall, SimulatedOrder
from providers.simulators import simulators_resolve_due

START = Decimal(simulator.STARTING_DEPOSIT)


@pytest.fixture
def base_url(live_server, settings) -> str:
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    settings.DIGIFLAZZ_TESTING = False
    settings.SIMULATOR_CALLBACK_BASE_URL = "http://shop.test"
    return settings.DIGIFLAZZ_BASE_URL


@pytest.fixture
def adapter(base_url) -> DigiflazzAdapter:
    return DigiflazzAdapter.from_settings()


@pytest.fixture
def callbacks(monkeypatch) -> list[SimpleNamespace]:
    """Every callback the simulator sends, captured instead of posted."""
    sent = []

    def capture(url, *, data, headers, timeout):
        sent.append(SimpleNamespace(url=url, body=data, headers=headers, timeout=timeout))
        return SimpleNamespace(status_code=200)

    monkeypatch.setattr(simulator.requests, "post", capture)
    return sent


def order(reference: str, customer_no: str, sku: str = "ML86", **kwargs) -> OrderRequest:
    return OrderRequest(reference=reference, sku=sku, customer_no=customer_no, **kwargs)


def make_due(reference: str) -> None:
    SimulatedOrder.objects.filter(reference=reference).update(
        resolve_at=timezone.now() - timedelta(seconds=1)
    )


def assert_real_callback(callback, settings) -> dict:
    assert callback.headers["X-Digiflazz-Event"] == "update"
    assert callback.headers["User-Agent"] == "Digiflazz-Hookshot"
    assert len(callback.headers["X-Digiflazz-Delivery"]) == 36  # a uuid4
    assert callback.headers["X-Hub-Signature"].startswith("sha1=")
    assert verify_callback(
        settings.DIGIFLAZZ_WEBHOOK_SECRET, callback.body, callback.headers["X-Hub-Signature"]
    )
    assert callback.timeout == 5
    return json.loads(callback.body)["data"]


# --- catalog and balance ----------------------------------------------------------------------


def test_catalog(adapter):
    catalog = {item.sku: item for item in adapter.fetch_catalog()}

    assert 20 <= len(catalog) <= 30
    assert catalog["ML86"].cost == Decimal("19850")
    assert catalog["ML86"].input_schema == "game_zone"
    assert catalog["FF70"].input_schema == "game"
    assert catalog["TSEL10"].input_schema == "phone"
    assert catalog["GOPAY20"].input_schema == "phone"
    assert catalog["PLN50"].input_schema == "pln"
    assert catalog["xld10"].category == "Data"
    assert catalog["ISAT5"].active is False
    assert sum(item.active for item in catalog.values()) == len(catalog) - 1
    assert {"Games", "Pulsa", "Data", "E-Money", "PLN"} == {i.category for i in catalog.values()}


def test_generated_price_list_of_50000_items_is_deterministic(live_server, settings):
    def fetch(changed: int) -> dict:
        settings.DIGIFLAZZ_BASE_URL = f"{live_server.url}/sim/digiflazz/gen/50000/{changed}/v1"
        return {item.sku: item.cost for item in DigiflazzAdapter.from_settings().fetch_catalog()}

    first = fetch(0)
    again, changed = fetch(0), fetch(10)

    assert len(first) == 50_000
    assert first == again
    assert sum(first[sku] != changed[sku] for sku in first) == 5_000


def test_price_list_query_parameters(base_url, settings):
    signed = f"{settings.DIGIFLAZZ_USERNAME}{settings.DIGIFLAZZ_API_KEY}pricelist".encode()
    sign = hashlib.md5(signed, usedforsecurity=False).hexdigest()
    body = {"cmd": "prepaid", "username": settings.DIGIFLAZZ_USERNAME, "sign": sign}

    def prices(query: str) -> list[int]:
        reply = requests.post(f"{base_url}/price-list?{query}", json=body, timeout=10)
        assert reply.status_code == 200
        return [item["price"] for item in reply.json()["data"]]

    assert len(prices("size=200")) == 200
    assert prices("size=200&seed=1") != prices("size=200")
    changed = prices("size=200&changed=10")
    assert sum(a != b for a, b in zip(prices("size=200"), changed, strict=True)) == 20


def test_balance_starts_at_ten_million_and_falls_with_each_success(adapter):
    assert adapter.get_balance().amount == START
    adapter.place_order(order("TRX-B-1", "12345678-1234"))
    assert adapter.get_balance().amount == START - 19850


@pytest.mark.parametrize(
    ("change", "rc"),
    [({"DIGIFLAZZ_API_KEY": "wrong-key"}, "41"), ({"DIGIFLAZZ_USERNAME": "stranger"}, "42")],
)
def test_bad_credentials_are_refused_like_digiflazz(base_url, settings, change, rc):
    """The adapter signs with its settings; the simulator checks with the originals."""
    adapter = DigiflazzAdapter.from_settings()
    for name, value in change.items():
        setattr(adapter.client, name.removeprefix("DIGIFLAZZ_").lower(), value)

    with pytest.raises(FinalProviderError) as balance_error:
        adapter.get_balance()
    with pytest.raises(FinalProviderError) as catalog_error:
        adapter.fetch_catalog()
    result = adapter.place_order(order("TRX-AUTH-1", "12345678-1234"))

    assert balance_error.value.code == catalog_error.value.code == rc
    assert result.status == ProviderStatus.FAILED
    assert result.rc == rc
    assert not SimulatedOrder.objects.exists()
    assert ProviderCall.objects.filter(http_status=400).count() == 3


# --- orders -----------------------------------------------------------------------------------


def test_success_is_idempotent_on_ref_id_and_logged_without_secrets(adapter, settings):
    first = adapter.place_order(order("TRX-S-1", "12345678-1234", max_price=Decimal("20000")))
    again = adapter.place_order(order("TRX-S-1", "12345678-1234"))
    checked = adapter.check_order(order("TRX-S-1", "12345678-1234"))

    assert first.status == again.status == checked.status == ProviderStatus.SUCCESS
    assert first.rc == "00"
    serial = first.vouchers[0].serial
    assert len(serial) == 16
    assert again.vouchers == checked.vouchers == first.vouchers
    assert SimulatedOrder.objects.filter(provider="digiflazz").count() == 1
    assert adapter.get_balance().amount == START - 19850

    calls = ProviderCall.objects.filter(reference="TRX-S-1")
    assert calls.count() == 3
    for call in calls:
        assert call.provider == "digiflazz"
        assert call.http_status == 200
        assert len(call.request_id) == 36
        assert serial not in call.response_body
        assert adapter.client.sign("TRX-S-1") not in call.request_body
        assert settings.DIGIFLAZZ_API_KEY not in call.request_body
    assert calls.values("request_id").distinct().count() == 3


def test_concurrent_posts_of_one_ref_id_make_one_transaction(adapter):
    def place(_):
        try:
            return adapter.place_order(order("TRX-RACE-1", "12345678-1234"))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(place, range(6)))

    assert {r.status for r in results} == {ProviderStatus.SUCCESS}
    assert len({r.vouchers[0].serial for r in results}) == 1
    assert SimulatedOrder.objects.count() == 1
    assert adapter.get_balance().amount == START - 19850


def test_pln_token_is_the_voucher_code(adapter):
    result = adapter.place_order(order("TRX-PLN-1", "12345678901", sku="PLN20"))

    (voucher,) = result.vouchers
    assert voucher.serial.startswith(voucher.code + "/")
    assert len(voucher.code.replace("-", "")) == 20


def test_pending_then_success_with_the_real_callback(adapter, callbacks, settings):
    placed = adapter.place_order(order("TRX-P-1", "081234567891", sku="TSEL10"))
    assert placed.status == ProviderStatus.PENDING
    assert placed.rc == "03"
    assert placed.vouchers == []
    assert adapter.check_order(order("TRX-P-1", "081234567891", sku="TSEL10")).status == (
        ProviderStatus.PENDING
    )
    assert adapter.get_balance().amount == START - 10250  # held while pending
    assert simulators_resolve_due() == 0  # not due yet

    make_due("TRX-P-1")
    assert simulators_resolve_due() == 1

    (callback,) = callbacks
    assert callback.url == "http://shop.test/api/webhooks/digiflazz"
    data = assert_real_callback(callback, settings)
    assert data["ref_id"] == "TRX-P-1"
    assert (data["status"], data["rc"]) == ("Sukses", "00")
    assert set(data) == {
        *("ref_id", "customer_no", "buyer_sku_code", "message", "status", "rc", "sn"),
        *("buyer_last_saldo", "price", "tele", "wa"),
    }
    from_callback = parse_callback_body(callback.body)
    assert from_callback.status == ProviderStatus.SUCCESS
    checked = adapter.check_order(order("TRX-P-1", "081234567891", sku="TSEL10"))
    assert checked.status == ProviderStatus.SUCCESS
    assert checked.vouchers == from_callback.vouchers != []
    assert SimulatedOrder.objects.get().callback_sent_at is not None
    assert simulators_resolve_due() == 0
    assert len(callbacks) == 1


def test_pending_then_failure_gives_the_deposit_back(adapter, callbacks, settings):
    placed = adapter.place_order(order("TRX-P-2", "081234567892", sku="TSEL10"))
    assert placed.status == ProviderStatus.PENDING

    make_due("TRX-P-2")
    simulators_resolve_due()

    data = assert_real_callback(callbacks[0], settings)
    assert (data["status"], data["rc"]) == ("Gagal", "02")
    assert parse_callback_body(callbacks[0].body).status == ProviderStatus.FAILED
    assert adapter.check_order(order("TRX-P-2", "081234567892")).status == ProviderStatus.FAILED
    assert adapter.get_balance().amount == START


def test_pending_callback_goes_to_cb_url(adapter, callbacks, settings):
    settings.DIGIFLAZZ_CALLBACK_URL = "http://elsewhere.test/hook"
    adapter = DigiflazzAdapter.from_settings()
    adapter.place_order(order("TRX-P-3", "081234567891", sku="TSEL10"))

    make_due("TRX-P-3")
    simulators_resolve_due()

    assert callbacks[0].url == "http://elsewhere.test/hook"


def test_failure_at_once(adapter):
    result = adapter.place_order(order("TRX-F-1", "081234567893", sku="TSEL10"))

    assert result.status == ProviderStatus.FAILED
    assert result.rc == "02"
    assert result.provider_out_of_balance is False
    assert adapter.get_balance().amount == START


def test_out_of_balance_creates_no_transaction(adapter):
    result = adapter.place_order(order("TRX-F-2", "081234567899", sku="TSEL10"))

    assert result.status == ProviderStatus.FAILED
    assert result.rc == "44"
    assert result.provider_out_of_balance is True
    assert not SimulatedOrder.objects.exists()


@pytest.mark.parametrize(
    ("sku", "rc", "max_price"),
    [("NOPE", "43", None), ("ISAT5", "53", None), ("ML86", "69", Decimal("19849.99"))],
)
def test_documented_rejections(adapter, sku, rc, max_price):
    result = adapter.place_order(order("TRX-R-1", "081234567801", sku=sku, max_price=max_price))

    assert (result.status, result.rc) == (ProviderStatus.FAILED, rc)
    assert not SimulatedOrder.objects.exists()


def test_timeout_is_unknown_then_check_order_finds_it(adapter, settings):
    assert settings.SIMULATOR_SLOW_SECONDS > settings.PROVIDER_READ_TIMEOUT
    placed = adapter.place_order(order("TRX-T-1", "081234567894"))

    assert placed.status == ProviderStatus.UNKNOWN
    assert ProviderCall.objects.get(reference="TRX-T-1").outcome == "timeout"
    checked = adapter.check_order(order("TRX-T-1", "081234567894"))
    assert checked.status == ProviderStatus.SUCCESS
    assert SimulatedOrder.objects.count() == 1


@pytest.mark.parametrize(("suffix", "http_status"), [("95", 500), ("96", 429)])
def test_5xx_and_429_are_unknown_and_create_nothing(adapter, suffix, http_status):
    result = adapter.place_order(order("TRX-H-1", f"0812345678{suffix}"))

    assert result.status == ProviderStatus.UNKNOWN
    assert ProviderCall.objects.get(reference="TRX-H-1").http_status == http_status
    assert not SimulatedOrder.objects.exists()


@pytest.mark.parametrize("suffix", ["97", "98"])
def test_malformed_json_and_connection_reset_are_unknown_then_found(adapter, suffix):
    customer_no = f"0812345678{suffix}"
    placed = adapter.place_order(order("TRX-M-1", customer_no))

    assert placed.status == ProviderStatus.UNKNOWN
    checked = adapter.check_order(order("TRX-M-1", customer_no))
    assert checked.status == ProviderStatus.SUCCESS
    assert SimulatedOrder.objects.count() == 1


# --- Digiflazz's documented testing numbers ---------------------------------------------------


@pytest.fixture
def testing_adapter(base_url, settings) -> DigiflazzAdapter:
    settings.DIGIFLAZZ_TESTING = True
    return DigiflazzAdapter.from_settings()


def test_testing_number_success(testing_adapter):
    result = testing_adapter.place_order(order("TRX-X-0", "087800001230", sku="xld10"))

    assert result.status == ProviderStatus.SUCCESS
    assert result.vouchers[0].serial == "1234567890"
    assert testing_adapter.get_balance().amount == START  # testing is free


def test_testing_number_failure(testing_adapter):
    result = testing_adapter.place_order(order("TRX-X-2", "087800001232", sku="xld10"))
    assert (result.status, result.rc) == (ProviderStatus.FAILED, "02")


@pytest.mark.parametrize(
    ("customer_no", "final", "status"),
    [
        ("087800001233", "Sukses", ProviderStatus.SUCCESS),
        ("087800001234", "Gagal", ProviderStatus.FAILED),
    ],
)
def test_testing_number_pending_then_resolved_by_a_status_check(
    testing_adapter, callbacks, settings, customer_no, final, status
):
    request = order("TRX-X-3", customer_no, sku="xld10")
    assert testing_adapter.place_order(request).status == ProviderStatus.PENDING

    make_due("TRX-X-3")
    checked = testing_adapter.check_order(request)

    assert checked.status == status
    (callback,) = callbacks
    assert assert_real_callback(callback, settings)["status"] == final
    assert testing_adapter.check_order(request).status == status
    assert len(callbacks) == 1  # resolved once: no second callback
    assert simulators_resolve_due() == 0


def test_testing_numbers_apply_to_the_test_sku_without_the_flag(adapter):
    result = adapter.place_order(order("TRX-X-4", "087800001230", sku="xld10"))
    assert result.vouchers[0].serial == "1234567890"


def test_testing_numbers_do_not_apply_to_real_orders(adapter):
    result = adapter.place_order(order("TRX-X-5", "087800001232", sku="TSEL10"))
    assert result.status == ProviderStatus.SUCCESS
