"""HubbleAdapter against canned replies (responses): the exact requests and every mapping."""

import json
import uuid
from datetime import date
from decimal import Decimal

import pytest
import requests
import responses

from providers.base import (
    Balance,
    FinalProviderError,
    NotConfigured,
    OrderRequest,
    ProviderStatus,
    TransientProviderError,
)
from providers.hubble.adapter import PRODUCTION_URL, HubbleAdapter
from providers.models import ProviderCall
from tests.providers.hubble.conftest import API, CLIENT_ID, CLIENT_SECRET

LOGIN_URL = f"{API}/auth/login"
PRODUCTS_URL = f"{API}/products"
ORDERS_URL = f"{API}/orders"


def make_brand(brand_id="amz", **overrides) -> dict:
    brand = {
        "id": brand_id,
        "status": "ACTIVE",
        "title": "Amazon Pay",
        "brandDescription": "Pay on Amazon.",
        "category": ["Shopping", "Online"],
        "tags": ["shopping"],
        "denominationType": "FIXED",
        "cardType": "CARD_NUMBER_AND_PIN",
        "redemptionType": "ONLINE",
        "amountRestrictions": {
            "minOrderAmount": 100,
            "maxOrderAmount": 2000,
            "minVoucherAmount": 100,
            "maxVoucherAmount": 2000,
            "maxVouchersPerOrder": 5,
            "maxVouchersPerDenomination": 5,
            "maxDenominationsPerOrder": 3,
            "denominations": [500, 100, 1000],
        },
        "iconImageUrl": "https://img.test/amz-icon.png",
        "thumbnailUrl": "https://img.test/amz-thumb.png",
        "logoUrl": "https://img.test/amz-logo.png",
        "tncUrl": "https://img.test/tnc",
        "termsAndConditions": [],
        "usageInstructions": "",
        "discountPercentage": 2.5,
    }
    brand.update(overrides)
    return brand


def make_flexible(brand_id="steam", **overrides) -> dict:
    restrictions = {
        "minOrderAmount": 100,
        "maxOrderAmount": 10000,
        "minVoucherAmount": 100,
        "maxVoucherAmount": 8000,
        "denominations": [],
    }
    return make_brand(
        brand_id,
        title="Steam",
        denominationType="FLEXIBLE",
        amountRestrictions=restrictions,
        discountPercentage="3.5",
        logoUrl=None,
        **overrides,
    )


def order_reply(status="SUCCESS", **overrides) -> dict:
    reply = {
        "id": "ord-1",
        "referenceId": "TRX-20261123-7KQ2M9",
        "status": status,
        "vouchers": [],
        "failureReason": None,
    }
    if status == "SUCCESS":
        reply["vouchers"] = [
            {
                "id": "v-1",
                "cardType": "CARD_NUMBER_AND_PIN",
                "cardPin": "918273",
                "cardNumber": "4000111122223333",
                "validTill": "2027-11-23",
                "amount": "500.00",
            },
            {
                "id": "v-2",
                "cardType": "PIN",
                "cardPin": "564738",
                "cardNumber": "4000999988887777",
                "validTill": None,
                "amount": 500,
            },
        ]
    reply.update(overrides)
    return reply


def request_for(sku="amz:500", **overrides) -> OrderRequest:
    fields = {
        "reference": "TRX-20261123-7KQ2M9",
        "sku": sku,
        "customer_no": "buyer@example.com",
        "customer_name": "Budi",
        "customer_phone": "081234567800",
        **overrides,
    }
    return OrderRequest(**fields)


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(LOGIN_URL, json={"token": "tok-1", "expiresInSecs": 3600})
        yield rsps


@pytest.fixture
def with_brands(mocked):
    mocked.get(PRODUCTS_URL, json={"data": [make_brand(), make_flexible()], "nextCursor": None})
    return mocked


def calls_to(mocked, url: str, method: str = "") -> list:
    return [
        call
        for call in mocked.calls
        if call.request.url.split("?")[0] == url and (not method or call.request.method == method)
    ]


# --- settings -------------------------------------------------------------------------------
def test_from_settings_requires_credentials(hubble_settings):
    hubble_settings.HUBBLE_CLIENT_SECRET = ""
    with pytest.raises(NotConfigured, match="HUBBLE_CLIENT_SECRET"):
        HubbleAdapter.from_settings()


def test_base_url_defaults_to_simulator_then_production(hubble_settings):
    hubble_settings.HUBBLE_BASE_URL = ""
    hubble_settings.SITE_URL = "http://shop.test/"
    assert HubbleAdapter.from_settings().client.base_url == "http://shop.test/sim/hubble"
    hubble_settings.SIMULATORS_ENABLED = False
    assert HubbleAdapter.from_settings().client.base_url == PRODUCTION_URL


# --- login and headers ------------------------------------------------------------------------
def test_login_once_then_bearer_and_request_id_on_every_call(adapter, mocked):
    mocked.get(f"{API}/wallet/balance", json={"balance": 1000.50})

    assert adapter.get_balance() == Balance(Decimal("1000.5"), "INR")
    assert adapter.get_balance().amount == Decimal("1000.5")

    logins = calls_to(mocked, LOGIN_URL)
    assert len(logins) == 1
    assert json.loads(logins[0].request.body) == {
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
    }
    balance_calls = calls_to(mocked, f"{API}/wallet/balance")
    assert len(balance_calls) == 2
    request_ids = set()
    for call in balance_calls:
        assert call.request.headers["Authorization"] == "Bearer tok-1"
        request_ids.add(str(uuid.UUID(call.request.headers["X-REQUEST-ID"], version=4)))
    assert len(request_ids) == 2  # a fresh id per call


def test_call_log_keeps_request_ids_and_hides_secrets(adapter, with_brands):
    with_brands.post(ORDERS_URL, json=order_reply())

    adapter.place_order(request_for())

    sent_ids = {call.request.headers["X-REQUEST-ID"] for call in with_brands.calls}
    rows = ProviderCall.objects.filter(provider="hubble")
    assert {row.request_id for row in rows} == sent_ids
    assert {row.endpoint for row in rows} == {"auth/login", "products", "orders/create"}
    assert rows.get(endpoint="orders/create").reference == "TRX-20261123-7KQ2M9"
    stored = " ".join(row.request_body + row.response_body for row in rows)
    for secret in (CLIENT_SECRET, "tok-1", "918273", "4000111122223333", "564738"):
        assert secret not in stored


def test_login_refused_fails_the_order_and_the_reads(adapter, mocked):
    mocked.replace(
        responses.POST,
        LOGIN_URL,
        status=401,
        json={"id": "E401", "code": "UNAUTHORIZED", "message": "bad credentials"},
    )

    result = adapter.place_order(request_for(sku="amz"))  # no amount: rejected before login

    assert result.status == ProviderStatus.FAILED
    mocked.get(PRODUCTS_URL, json={"data": [make_brand()], "nextCursor": None})
    assert adapter.place_order(request_for()).status == ProviderStatus.FAILED
    with pytest.raises(FinalProviderError, match="login refused"):
        adapter.get_balance()
    assert calls_to(mocked, ORDERS_URL) == []


# --- catalog --------------------------------------------------------------------------------
def test_catalog_reads_every_page_and_maps_brands(adapter, mocked):
    inactive = make_brand("gone", title="Gone", status="INACTIVE", logoUrl="", category=[])
    mocked.get(
        PRODUCTS_URL,
        json={"data": [make_brand(), make_flexible()], "nextCursor": "page-2"},
        match=[responses.matchers.query_param_matcher({"limit": "100"})],
    )
    mocked.get(
        PRODUCTS_URL,
        json={"data": [inactive], "nextCursor": None},
        match=[responses.matchers.query_param_matcher({"limit": "100", "cursor": "page-2"})],
    )

    items = {item.sku: item for item in adapter.fetch_catalog()}

    assert set(items) == {
        "amz:100",
        "amz:500",
        "amz:1000",
        "steam",
        "gone:100",
        "gone:500",
        "gone:1000",
    }
    fixed = items["amz:500"]
    # Hubble debits production orders at the gross (face) amount; the discount is not ours
    assert fixed.cost == Decimal("500.0000")
    assert items["amz:100"].cost == Decimal("100.0000")
    assert (fixed.name, fixed.brand, fixed.category) == (
        "Amazon Pay 500 INR",
        "Amazon Pay",
        "Shopping",
    )
    assert (fixed.currency, fixed.denomination_type, fixed.active) == ("INR", "fixed", True)
    assert (fixed.input_schema, fixed.description) == ("email", "Pay on Amazon.")
    assert fixed.brand_image_url == "https://img.test/amz-logo.png"
    assert fixed.min_amount is None
    assert fixed.raw["id"] == "amz"
    flexible = items["steam"]
    assert flexible.denomination_type == "flexible"
    assert flexible.cost == Decimal("1.0000")  # per unit of face value, whatever the discount
    assert (flexible.min_amount, flexible.max_amount) == (Decimal(100), Decimal(8000))
    assert flexible.brand_image_url == "https://img.test/amz-icon.png"  # no logo: the icon
    assert items["gone:100"].active is False
    assert items["gone:100"].category == ""


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ({"status": 500, "json": {"id": "E500"}}, TransientProviderError),
        ({"status": 429, "json": {}}, TransientProviderError),
        ({"status": 200, "body": "{not json"}, TransientProviderError),
        ({"status": 200, "json": {"items": []}}, TransientProviderError),
        ({"status": 403, "json": {"id": "E101", "message": "not enabled"}}, FinalProviderError),
    ],
)
def test_catalog_errors(adapter, mocked, reply, error):
    mocked.get(PRODUCTS_URL, **reply)
    with pytest.raises(error):
        adapter.fetch_catalog()


def test_catalog_stops_on_a_repeated_cursor(adapter, mocked):
    mocked.get(PRODUCTS_URL, json={"data": [make_brand()], "nextCursor": "same"})
    with pytest.raises(TransientProviderError, match="repeated"):
        adapter.fetch_catalog()
    assert len(calls_to(mocked, PRODUCTS_URL)) == 2


# --- place_order ------------------------------------------------------------------------------
def test_place_fixed_order_sends_the_documented_body_and_maps_vouchers(adapter, with_brands):
    with_brands.post(ORDERS_URL, json=order_reply())

    result = adapter.place_order(request_for())

    (call,) = calls_to(with_brands, ORDERS_URL)
    assert call.request.headers["Authorization"] == "Bearer tok-1"
    assert json.loads(call.request.body) == {
        "productId": "amz",
        "referenceId": "TRX-20261123-7KQ2M9",
        "amount": 500,
        "denominationDetails": [{"denomination": 500, "quantity": 1}],
        "customerDetails": {
            "name": "Budi",
            "phoneNumber": "081234567800",
            "email": "buyer@example.com",
        },
    }
    assert result.status == ProviderStatus.SUCCESS
    assert result.provider_order_id == "ord-1"
    first, second = result.vouchers
    assert (first.code, first.pin, first.provider_voucher_id) == (
        "4000111122223333",
        "918273",
        "v-1",
    )
    assert first.expires_on == date(2027, 11, 23)
    assert first.amount == Decimal("500.00")  # amount as a string
    assert second.amount == Decimal("500")
    assert second.expires_on is None
    assert "4000111122223333" not in json.dumps(result.raw)  # the order log gets no codes


def test_place_flexible_order_uses_the_request_amount(adapter, with_brands):
    with_brands.post(ORDERS_URL, json=order_reply())

    adapter.place_order(request_for(sku="steam", amount=Decimal("1234.50")))

    body = json.loads(calls_to(with_brands, ORDERS_URL)[0].request.body)
    assert body["productId"] == "steam"
    assert body["amount"] == 1234.5
    assert body["denominationDetails"] == [{"denomination": 1234.5, "quantity": 1}]


@pytest.mark.parametrize(
    ("request_fields", "rc"),
    [
        ({"sku": "amz:250"}, "E150"),  # not one of the brand's denominations
        ({"sku": "steam", "amount": Decimal("99")}, "E155"),  # below the voucher range
        ({"sku": "steam", "amount": Decimal("8001")}, "E155"),  # above it
        ({"sku": "steam"}, "amount"),  # a FLEXIBLE item needs an amount
        ({"sku": "nope:100"}, "E001"),  # not in the brand list
        ({"reference": "R" * 41}, "reference"),  # Hubble takes at most 40 characters
    ],
)
def test_orders_breaking_brand_rules_are_failed_without_sending(
    adapter, with_brands, request_fields, rc
):
    result = adapter.place_order(request_for(**request_fields))

    assert result.status == ProviderStatus.FAILED
    assert result.rc == rc
    assert calls_to(with_brands, ORDERS_URL) == []


def test_inactive_brand_is_refused_before_sending(adapter, mocked):
    mocked.get(PRODUCTS_URL, json={"data": [make_brand(status="INACTIVE")], "nextCursor": None})
    result = adapter.place_order(request_for())
    assert (result.status, result.rc) == (ProviderStatus.FAILED, "E102")
    assert calls_to(mocked, ORDERS_URL) == []


def test_brand_list_is_fetched_once_per_process_and_refetched_for_a_new_brand(adapter, with_brands):
    with_brands.post(ORDERS_URL, json=order_reply())
    adapter.place_order(request_for())
    HubbleAdapter.from_settings().place_order(request_for(reference="TRX-2"))
    assert len(calls_to(with_brands, PRODUCTS_URL)) == 1

    adapter.place_order(request_for(sku="new:100"))  # unknown id: the list is read again
    assert len(calls_to(with_brands, PRODUCTS_URL)) == 2


def test_order_is_sent_unchecked_when_the_brand_list_is_unavailable(adapter, mocked):
    mocked.get(PRODUCTS_URL, status=503)
    mocked.post(ORDERS_URL, json=order_reply())
    assert adapter.place_order(request_for()).status == ProviderStatus.SUCCESS


@pytest.mark.parametrize(
    ("order_status", "expected"),
    [
        ("PROCESSING", ProviderStatus.PENDING),
        ("FAILED", ProviderStatus.FAILED),
        ("CANCELLED", ProviderStatus.FAILED),
        ("SOMETHING_NEW", ProviderStatus.UNKNOWN),
    ],
)
def test_order_states(adapter, with_brands, order_status, expected):
    with_brands.post(ORDERS_URL, json=order_reply(order_status, failureReason="brand down"))
    result = adapter.place_order(request_for())
    assert result.status == expected
    assert result.provider_order_id == "ord-1"
    assert result.vouchers == []
    assert not result.revokes_delivery  # nothing was delivered: a plain failure (refunded)
    if expected == ProviderStatus.FAILED:
        assert result.message == "brand down"


@pytest.mark.parametrize("status", ["REVERSED", "CANCELLED"])
def test_an_order_called_off_after_delivery_revokes_its_vouchers(adapter, with_brands, status):
    delivered = order_reply("SUCCESS")["vouchers"]
    with_brands.post(ORDERS_URL, json=order_reply(status, vouchers=delivered))

    result = adapter.place_order(request_for())

    assert (result.status, result.rc, result.revokes_delivery) == (
        ProviderStatus.FAILED,
        status,
        True,
    )
    assert result.message == f"Hubble reports this order {status}"
    assert [voucher.code for voucher in result.vouchers] == [v["cardNumber"] for v in delivered]
    assert "4000111122223333" not in str(result.raw)  # the codes live on the voucher only


def test_reversed_always_follows_a_success_even_without_vouchers_listed(adapter, with_brands):
    with_brands.post(ORDERS_URL, json=order_reply("REVERSED"))

    result = adapter.place_order(request_for())

    assert (result.status, result.revokes_delivery, result.vouchers) == (
        ProviderStatus.FAILED,
        True,
        [],
    )


def test_success_without_vouchers_is_unknown_so_the_deadline_never_refunds_it(adapter, with_brands):
    with_brands.post(ORDERS_URL, json=order_reply("SUCCESS", vouchers=[]))
    result = adapter.place_order(request_for())
    assert (result.status, result.message) == (ProviderStatus.UNKNOWN, "SUCCESS without vouchers")


def _error(error_id, code="X", message="refused"):
    return {
        "id": error_id,
        "code": code,
        "message": message,
        "requestId": "r-1",
        "debugMessage": "",
        "subErrors": [{"fieldName": "amount", "message": "bad", "debugMessage": ""}],
    }


@pytest.mark.parametrize(
    ("reply", "status", "rc", "out_of_balance"),
    [
        ({"status": 400, "json": _error("E150")}, ProviderStatus.FAILED, "E150", False),
        ({"status": 422, "json": _error("E102")}, ProviderStatus.FAILED, "E102", False),
        ({"status": 409, "json": _error("E160")}, ProviderStatus.FAILED, "E160", False),
        (
            {"status": 400, "json": _error("E300", "INSUFFICIENT_BALANCE")},
            ProviderStatus.FAILED,
            "E300",
            True,
        ),
        ({"status": 404, "json": _error("E001")}, ProviderStatus.FAILED, "E001", False),
        ({"status": 400, "json": {"message": "?"}}, ProviderStatus.UNKNOWN, "http_400", False),
        ({"status": 500, "json": _error("E150")}, ProviderStatus.UNKNOWN, "E150", False),
        ({"status": 502, "body": "<html>"}, ProviderStatus.UNKNOWN, "http_502", False),
        ({"status": 429, "json": {}}, ProviderStatus.UNKNOWN, "http_429", False),
        ({"status": 200, "body": '{"id": "ord'}, ProviderStatus.UNKNOWN, "malformed_json", False),
        ({"body": requests.ReadTimeout("slow")}, ProviderStatus.UNKNOWN, "timeout", False),
        (
            {"body": requests.ConnectionError("reset")},
            ProviderStatus.UNKNOWN,
            "connection_error",
            False,
        ),
    ],
)
def test_place_order_errors(adapter, with_brands, reply, status, rc, out_of_balance):
    with_brands.post(ORDERS_URL, **reply)

    result = adapter.place_order(request_for())

    assert (result.status, result.rc) == (status, rc)
    assert result.provider_out_of_balance is out_of_balance
    assert len(calls_to(with_brands, ORDERS_URL)) == 1  # an order POST is never repeated


def test_rejection_message_names_the_code_and_field(adapter, with_brands):
    with_brands.post(ORDERS_URL, status=400, json=_error("E151", message="amount mismatch"))
    result = adapter.place_order(request_for())
    assert result.message == "E151 amount mismatch (amount: bad)"


def test_a_401_drops_the_token_logs_in_once_and_retries_once(adapter, with_brands):
    with_brands.replace(responses.POST, LOGIN_URL, json={"token": "tok-1", "expiresInSecs": 3600})
    with_brands.add(responses.POST, LOGIN_URL, json={"token": "tok-2", "expiresInSecs": 3600})
    with_brands.post(ORDERS_URL, status=401, json=_error("E401"))
    with_brands.post(ORDERS_URL, json=order_reply())

    result = adapter.place_order(request_for())

    assert result.status == ProviderStatus.SUCCESS
    posts = calls_to(with_brands, ORDERS_URL)
    assert [call.request.headers["Authorization"] for call in posts] == [
        "Bearer tok-1",
        "Bearer tok-2",
    ]
    assert len(calls_to(with_brands, LOGIN_URL)) == 2
    assert json.loads(posts[0].request.body) == json.loads(posts[1].request.body)


def test_a_second_401_is_not_retried_again(adapter, with_brands):
    with_brands.post(ORDERS_URL, status=401, json=_error("E401"))

    result = adapter.place_order(request_for())

    assert result.status == ProviderStatus.FAILED
    assert result.rc == "unauthorized"
    assert len(calls_to(with_brands, ORDERS_URL)) == 2
    assert len(calls_to(with_brands, LOGIN_URL)) == 2


# --- check_order --------------------------------------------------------------------------
def test_check_order_by_provider_id(adapter, mocked):
    mocked.get(f"{ORDERS_URL}/ord-1", json=order_reply())
    result = adapter.check_order(request_for(provider_order_id="ord-1"))
    assert result.status == ProviderStatus.SUCCESS
    assert len(result.vouchers) == 2
    row = ProviderCall.objects.get(endpoint="orders/get")
    assert row.reference == "TRX-20261123-7KQ2M9"


def test_check_order_by_reference(adapter, mocked):
    mocked.get(f"{ORDERS_URL}/by-reference/TRX-20261123-7KQ2M9", json=order_reply("PROCESSING"))
    result = adapter.check_order(request_for())
    assert result.status == ProviderStatus.PENDING
    assert result.provider_order_id == "ord-1"


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        ({"status": 404, "json": _error("E001", "RESOURCE_NOT_FOUND")}, ProviderStatus.NOT_FOUND),
        ({"status": 404, "body": ""}, ProviderStatus.NOT_FOUND),
        ({"status": 400, "json": _error("E001")}, ProviderStatus.NOT_FOUND),
        ({"status": 400, "json": _error("E157")}, ProviderStatus.UNKNOWN),
        ({"status": 503, "json": {}}, ProviderStatus.UNKNOWN),
        ({"body": requests.ReadTimeout("slow")}, ProviderStatus.UNKNOWN),
    ],
)
def test_check_order_errors(adapter, mocked, reply, status):
    mocked.get(f"{ORDERS_URL}/by-reference/TRX-20261123-7KQ2M9", **reply)
    assert adapter.check_order(request_for()).status == status


def test_check_order_reference_is_escaped_in_the_path(adapter, mocked):
    mocked.get(f"{ORDERS_URL}/by-reference/A%2FB%20C", json=order_reply("PROCESSING"))
    assert adapter.check_order(request_for(reference="A/B C")).status == ProviderStatus.PENDING


# --- balance ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ({"status": 500, "json": {}}, TransientProviderError),
        ({"status": 200, "json": {"amount": 5}}, TransientProviderError),
        ({"status": 403, "json": _error("E101")}, FinalProviderError),
    ],
)
def test_balance_errors(adapter, mocked, reply, error):
    mocked.get(f"{API}/wallet/balance", **reply)
    with pytest.raises(error):
        adapter.get_balance()


def test_balance_as_a_string(adapter, mocked):
    mocked.get(f"{API}/wallet/balance", json={"balance": "250000.75"})
    assert adapter.get_balance() == Balance(Decimal("250000.75"), "INR")
