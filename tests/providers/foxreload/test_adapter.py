"""FoxReload adapter against recorded replies (`responses`): the exact requests, and the
mapping of every documented reply and error."""

import json
from decimal import Decimal

import pytest
import requests
import responses
from responses import matchers

from providers.base import (
    FinalProviderError,
    NotConfigured,
    OrderRequest,
    ProviderStatus,
    TransientProviderError,
    VoucherData,
)
from providers.foxreload.adapter import NO_ORDER_ID_MESSAGE, FoxReloadAdapter, order_result
from providers.foxreload.client import FoxReloadClient
from providers.http import ProviderHttp
from providers.models import ProviderCall

BASE = "https://fox.test"
KEY = "test-fox-key"
ORDER_ID = "0b9d7c1e-5f7a-4c43-9a8e-2d6f1c3b4a51"
SKU = "product_01krgfgww8eth9xvvysd6y7r4j"
RETURN_URL = "https://shop.example/return"
REQUEST = OrderRequest(reference="TRX-20261123-7KQ2M9", sku=SKU, customer_no="5123456")

pytestmark = pytest.mark.django_db


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def adapter(sleeps) -> FoxReloadAdapter:
    http = ProviderHttp("foxreload", sleep=sleeps.append)
    return FoxReloadAdapter(
        client=FoxReloadClient(base_url=BASE, api_key=KEY, http=http),
        payment_provider="pally",
        return_url=RETURN_URL,
    )


def order(status: str, **fields) -> dict:
    item = {"itemId": SKU, "quantity": 1, "note": {"player_id": "5123456"}, "externalData": []}
    item.update(fields.pop("item", {}))
    return {"id": ORDER_ID, "status": status, "items": [item], **fields}


def add_create(rsps, status=201, body=None, **kwargs):
    return rsps.post(
        f"{BASE}/api/orders/",
        status=status,
        json=body if body is not None else order("active", paymentExpiresAt="2026-11-23T10:15Z"),
        **kwargs,
    )


def add_pay(rsps, status=200, body=None, **kwargs):
    return rsps.post(
        f"{BASE}/api/orders/{ORDER_ID}/pay",
        status=status,
        json=body if body is not None else order("processing"),
        **kwargs,
    )


def add_get(rsps, body, status=200):
    return rsps.get(f"{BASE}/api/orders/{ORDER_ID}", status=status, json=body)


# -- settings -------------------------------------------------------------------------


def test_from_settings_reads_the_environment_at_call_time(settings):
    settings.SIMULATORS_ENABLED = False
    settings.FOXRELOAD_BASE_URL = ""
    settings.FOXRELOAD_API_KEY = "live-key"
    settings.FOXRELOAD_MOCK = True
    settings.SITE_URL = "https://shop.example"
    adapter = FoxReloadAdapter.from_settings()
    assert adapter.client.base_url == "https://public-api.foxreload.com"
    assert adapter.client.api_key == "live-key"
    assert adapter.is_mock is True
    assert adapter.return_url == "https://shop.example"


def test_from_settings_with_simulators_points_at_the_simulator_root(settings):
    settings.SIMULATORS_ENABLED = True
    settings.FOXRELOAD_BASE_URL = ""
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert FoxReloadAdapter.from_settings().client.base_url == (
        "http://127.0.0.1:8000/sim/foxreload"
    )


def test_from_settings_without_a_key_names_the_missing_setting(settings):
    settings.FOXRELOAD_API_KEY = ""
    with pytest.raises(NotConfigured, match="FOXRELOAD_API_KEY"):
        FoxReloadAdapter.from_settings()


# -- catalog --------------------------------------------------------------------------


def product(pid: str, name: str, category_id: str, price, quantity=None) -> dict:
    return {
        "id": pid,
        "name": name,
        "categoryId": category_id,
        "price": price,
        "currency": "usd",
        "quantity": quantity,
        "description": f"{name} top-up",
    }


@responses.activate
def test_fetch_catalog_walks_cursor_and_offset_pages_and_maps_products(adapter):
    key_header = matchers.header_matcher({"X-API-Key": KEY})
    root = {"id": "root", "name": "Game top-ups", "parentId": None, "hasProducts": False}
    pubg = {"id": "c-pubg", "name": "PUBG Mobile", "parentId": "root", "hasProducts": True}
    codm = {"id": "c-codm", "name": "Call of Duty Mobile", "parentId": "root"}
    responses.get(
        f"{BASE}/api/categories/",
        match=[key_header, matchers.query_param_matcher({"limit": "100"})],
        json={"items": [root, pubg], "limit": 2, "nextCursor": "abc"},
    )
    responses.get(
        f"{BASE}/api/categories/",
        match=[key_header, matchers.query_param_matcher({"limit": "100", "cursor": "abc"})],
        json={"items": [codm], "limit": 2, "nextCursor": None},
    )
    pubg_query = {"category_id_or_slug": "c-pubg", "limit": "100"}
    responses.get(
        f"{BASE}/api/products/",
        match=[key_header, matchers.query_param_matcher({**pubg_query, "offset": "0"})],
        json={
            "items": [
                product("p1", "PUBG 60 UC", "c-pubg", "0.99"),
                product("p2", "PUBG 325 UC", "c-pubg", 4.99, quantity=0),
            ],
            "limit": 2,
            "offset": 0,
            "total": 3,
        },
    )
    responses.get(
        f"{BASE}/api/products/",
        match=[key_header, matchers.query_param_matcher({**pubg_query, "offset": "2"})],
        json={
            "items": [product("p3", "PUBG 660 UC", "c-pubg", "9.99", 5)],
            "limit": 2,
            "offset": 2,
            "total": 3,
        },
    )
    responses.get(
        f"{BASE}/api/products/",
        match=[
            matchers.query_param_matcher(
                {"category_id_or_slug": "c-codm", "limit": "100", "offset": "0"}
            )
        ],
        json={
            "items": [
                product("p4", "CODM 80 CP", "c-codm", "0.99"),
                product("p1", "PUBG 60 UC", "c-pubg", "0.99"),  # listed twice: kept once
                product("p5", "No price", "c-codm", None),  # unreadable price: skipped
            ],
            "limit": 100,
            "offset": 0,
            "total": 3,
        },
    )

    items = {item.sku: item for item in adapter.fetch_catalog()}

    assert sorted(items) == ["p1", "p2", "p3", "p4"]
    first = items["p1"]
    assert first.name == "PUBG 60 UC"
    assert (first.brand, first.category) == ("PUBG Mobile", "Game top-ups")
    assert first.cost == Decimal("0.99")
    assert first.currency == "USD"
    assert first.active is True
    assert first.input_schema == "game"
    assert first.denomination_type == "fixed"
    assert first.description == "PUBG 60 UC top-up"
    assert items["p2"].cost == Decimal("4.99")
    assert items["p2"].active is False
    assert items["p3"].active is True
    assert items["p4"].brand == "Call of Duty Mobile"
    # the root (hasProducts false) was never asked for products
    assert not any("category_id_or_slug=root" in call.request.url for call in responses.calls)
    assert all(call.request.headers["X-REQUEST-ID"] for call in responses.calls)


@responses.activate
def test_fetch_catalog_bad_key_is_final(adapter):
    responses.get(f"{BASE}/api/categories/", status=401, json={"detail": "Invalid API key"})
    with pytest.raises(FinalProviderError, match="Invalid API key"):
        adapter.fetch_catalog()


@responses.activate
def test_fetch_catalog_retries_5xx_with_back_off_then_raises_transient(adapter, sleeps):
    responses.get(f"{BASE}/api/categories/", status=503, json={"detail": "down"})
    with pytest.raises(TransientProviderError):
        adapter.fetch_catalog()
    assert len(responses.calls) == 3
    assert sleeps == [0.5, 1.0]


@responses.activate
def test_fetch_catalog_malformed_json_is_transient(adapter):
    responses.get(f"{BASE}/api/categories/", body=b'{"items": [', status=200)
    with pytest.raises(TransientProviderError, match="malformed"):
        adapter.fetch_catalog()


# -- place_order ----------------------------------------------------------------------


@responses.activate
def test_place_order_creates_then_pays_then_reads_the_codes(adapter):
    create = add_create(
        responses,
        match=[
            matchers.header_matcher({"X-API-Key": KEY}),
            matchers.json_params_matcher(
                {
                    "items": [{"itemId": SKU, "quantity": 1, "note": {"player_id": "5123456"}}],
                    "isMock": False,
                }
            ),
        ],
    )
    pay = add_pay(
        responses,
        match=[
            matchers.header_matcher({"X-API-Key": KEY}),
            matchers.json_params_matcher(
                {"paymentProvider": "pally", "paymentReturnUrl": RETURN_URL}
            ),
        ],
    )
    codes = ["AAAA-BBBB-CCCC", {"code": "DDDD", "pin": "1234", "serial": "SN9"}]
    add_get(responses, order("completed", item={"externalData": codes}))

    result = adapter.place_order(REQUEST)

    assert create.call_count == 1
    assert pay.call_count == 1
    assert result.status == ProviderStatus.SUCCESS
    assert result.provider_order_id == ORDER_ID
    assert result.vouchers == [
        VoucherData(code="AAAA-BBBB-CCCC"),
        VoucherData(code="DDDD", pin="1234", serial="SN9"),
    ]
    assert "AAAA-BBBB-CCCC" not in json.dumps(result.raw)  # codes stay out of the event log
    calls = list(ProviderCall.objects.order_by("pk"))
    assert [c.endpoint for c in calls] == ["orders.create", "orders.pay", "orders.get"]
    assert all(c.reference == REQUEST.reference for c in calls)
    sent_ids = [call.request.headers["X-REQUEST-ID"] for call in responses.calls]
    assert [c.request_id for c in calls] == sent_ids
    stored = " ".join(c.request_body + c.response_body for c in calls)
    assert "AAAA-BBBB-CCCC" not in stored
    assert "DDDD" not in stored
    assert KEY not in stored


@responses.activate
def test_place_order_sends_is_mock_when_configured(adapter):
    adapter.is_mock = True
    add_create(
        responses,
        match=[matchers.json_params_matcher({"isMock": True}, strict_match=False)],
    )
    add_pay(responses)
    add_get(responses, order("processing"))
    assert adapter.place_order(REQUEST).status == ProviderStatus.PENDING


@responses.activate
def test_place_order_paid_and_processing_is_pending_with_the_order_id(adapter):
    add_create(responses)
    add_pay(responses)
    add_get(responses, order("processing"))
    result = adapter.place_order(REQUEST)
    assert (result.status, result.provider_order_id) == (ProviderStatus.PENDING, ORDER_ID)


@responses.activate
def test_create_refused_is_failed_and_nothing_is_paid(adapter):
    add_create(responses, status=400, body={"detail": "Product not found"})
    result = adapter.place_order(REQUEST)
    assert result.status == ProviderStatus.FAILED
    assert "Product not found" in result.message
    assert result.rc == "400"
    assert result.provider_order_id == ""
    assert len(responses.calls) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
@responses.activate
def test_create_rate_limited_or_5xx_is_unknown_and_never_repeated(adapter, status):
    add_create(responses, status=status, body={"detail": "busy"}, headers={"Retry-After": "1"})
    result = adapter.place_order(REQUEST)
    assert result.status == ProviderStatus.UNKNOWN
    assert result.rc == str(status)
    assert len(responses.calls) == 1  # a write is sent once


@responses.activate
def test_create_timeout_is_unknown_without_an_id_and_says_why(adapter):
    responses.post(f"{BASE}/api/orders/", body=requests.ReadTimeout("read timed out"))
    result = adapter.place_order(REQUEST)
    assert result.status == ProviderStatus.UNKNOWN
    assert result.provider_order_id == ""
    assert result.rc == "timeout"
    assert NO_ORDER_ID_MESSAGE in result.message
    assert len(responses.calls) == 1


@responses.activate
def test_pay_balance_not_enough_is_failed_out_of_balance_with_the_order_id(adapter):
    add_create(responses)
    # status and body inferred (the seed names only the error): see the adapter
    refusal = {"detail": "Not enough balance", "code": "BalanceNotEnough"}
    add_pay(responses, status=400, body=refusal)
    result = adapter.place_order(REQUEST)
    assert result.status == ProviderStatus.FAILED
    assert result.provider_out_of_balance is True
    assert result.rc == "BalanceNotEnough"
    assert result.provider_order_id == ORDER_ID


@responses.activate
def test_pay_refused_otherwise_is_failed_but_not_out_of_balance(adapter):
    add_create(responses)
    add_pay(responses, status=400, body={"detail": "Order is not awaiting payment"})
    result = adapter.place_order(REQUEST)
    assert result.status == ProviderStatus.FAILED
    assert result.provider_out_of_balance is False
    assert result.provider_order_id == ORDER_ID
    assert "not awaiting payment" in result.message


@pytest.mark.parametrize(
    "pay_reply",
    [
        {"body": requests.ConnectionError("reset by peer")},
        {"body": requests.ReadTimeout("read timed out")},
        {"status": 502, "json": {"detail": "bad gateway"}},
        {"status": 429, "json": {"detail": "slow down"}},
        {"status": 200, "body": b'{"status": '},
    ],
    ids=["reset", "timeout", "502", "429", "malformed"],
)
@responses.activate
def test_pay_without_a_clear_answer_is_unknown_and_keeps_the_order_id(adapter, pay_reply):
    add_create(responses)
    responses.post(f"{BASE}/api/orders/{ORDER_ID}/pay", **pay_reply)
    result = adapter.place_order(REQUEST)
    assert result.status == ProviderStatus.UNKNOWN
    assert result.provider_order_id == ORDER_ID
    assert len(responses.calls) == 2  # pay is never repeated, and no status read


@responses.activate
def test_paid_but_status_unreadable_is_pending(adapter):
    add_create(responses)
    add_pay(responses)
    responses.get(f"{BASE}/api/orders/{ORDER_ID}", status=500, json={"detail": "oops"})
    result = adapter.place_order(REQUEST)
    assert result.status == ProviderStatus.PENDING
    assert result.provider_order_id == ORDER_ID


# -- check_order ----------------------------------------------------------------------


def with_id(order_id: str = ORDER_ID) -> OrderRequest:
    return OrderRequest(
        reference=REQUEST.reference, sku=SKU, customer_no="5123456", provider_order_id=order_id
    )


def test_check_order_without_an_id_is_not_found_so_it_is_created_again(adapter):
    """No id: the create got no answer, so we never paid there (only /pay charges)."""
    result = adapter.check_order(with_id(""))
    assert result.status == ProviderStatus.NOT_FOUND
    assert result.rc == "no_order_id"
    assert "never paid" in result.message
    assert len(responses.calls) == 0  # nothing to ask FoxReload by


@responses.activate
def test_check_order_404_is_not_found(adapter):
    add_get(responses, {"detail": "Order not found"}, status=404)
    assert adapter.check_order(with_id()).status == ProviderStatus.NOT_FOUND


@responses.activate
def test_check_order_backs_off_on_429_and_network_errors(adapter, sleeps):
    url = f"{BASE}/api/orders/{ORDER_ID}"
    responses.get(url, status=429, json={"detail": "slow down"}, headers={"Retry-After": "2"})
    responses.get(url, body=requests.ConnectionError("reset"))
    responses.get(url, json=order("completed", item={"externalData": ["CODE-1"]}))
    result = adapter.check_order(with_id())
    assert result.status == ProviderStatus.SUCCESS
    assert result.vouchers == [VoucherData("CODE-1")]
    assert sleeps == [2.0, 1.0]  # Retry-After honoured, then exponential
    assert ProviderCall.objects.filter(endpoint="orders.get").count() == 3


@responses.activate
def test_check_order_keeps_failing_is_unknown(adapter):
    responses.get(f"{BASE}/api/orders/{ORDER_ID}", body=requests.ConnectionError("down"))
    result = adapter.check_order(with_id())
    assert result.status == ProviderStatus.UNKNOWN
    assert result.provider_order_id == ORDER_ID
    assert len(responses.calls) == 3


@pytest.mark.parametrize("status", ["active", "paid", "processing"])
def test_unfinished_statuses_are_pending(status):
    result = order_result(order(status, paymentExpiresAt="2026-11-23T10:15:00Z"))
    assert result.status == ProviderStatus.PENDING
    assert result.rc == status


def test_completed_without_codes_is_success_delivered_to_the_account():
    result = order_result(order("completed"))
    assert result.status == ProviderStatus.SUCCESS
    assert result.vouchers == []


def test_completed_entry_of_unknown_shape_is_kept_whole():
    result = order_result(order("completed", item={"externalData": [{"link": "https://x"}]}))
    assert result.vouchers == [VoucherData(code='{"link": "https://x"}')]


@pytest.mark.parametrize(
    ("reason", "out_of_balance"),
    [("payment_failure", True), ("payment_expiration", False), ("user_request", False)],
)
def test_cancelled_is_failed_with_its_reason(reason, out_of_balance):
    result = order_result(order("cancelled", cancelReason=reason))
    assert result.status == ProviderStatus.FAILED
    assert reason in result.message
    assert result.provider_out_of_balance is out_of_balance


def test_failed_is_failed_with_the_item_errors():
    result = order_result(order("failed", item={"error": "Supplier out of stock"}))
    assert result.status == ProviderStatus.FAILED
    assert "Supplier out of stock" in result.message
    assert not result.provider_out_of_balance


def test_an_unknown_status_is_unknown():
    assert order_result(order("refunded")).status == ProviderStatus.UNKNOWN


def test_get_balance_is_not_offered(adapter):
    with pytest.raises(FinalProviderError, match="no balance endpoint"):
        adapter.get_balance()
