"""`POST /api/v1/accounts/check` and `account_name` on API orders: exact replies, auth, the
per-key account-check limit, and a schema fuzz of the endpoint with checks on. Digiflazz's
inquiry-pln is faked with `responses`."""

import json
from decimal import Decimal

import pytest
import responses
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from catalog.models import InputSchema
from catalog.services import catalog_reprice_product
from orders.models import Order
from providers.defaults import provider_ensure
from resellers.services import api_key_create
from tests.catalog.factories import BrandFactory, ProductFactory
from tests.orders.fixtures import balance_of

# autouse there and here: calls go straight to the WSGI app inside the test's transaction
from tests.resellers.test_schema_fuzz import requests_keep_the_test_connection  # noqa: F401

pytestmark = pytest.mark.django_db

INQUIRY = "https://api.digiflazz.com/v1/inquiry-pln"
CHECK = "/api/v1/accounts/check"
METER = "53123456789"
EXTRA = {"meter_no": METER, "subscriber_id": "523300817840", "segment_power": "R1 /000001300"}
FOUND = {
    "data": {
        "message": "Transaksi Sukses",
        "status": "Sukses",
        "rc": "00",
        "customer_no": METER,
        "name": "SITI RAHAYU",
        **EXTRA,
    }
}
NOT_FOUND = {"data": {"rc": "54", "status": "Gagal", "message": "Nomor Tujuan Salah"}}


@pytest.fixture
def pln_item(account_checks, settings, priced_product):
    settings.DIGIFLAZZ_BASE_URL = "https://api.digiflazz.com/v1"
    brand = BrandFactory(name="PLN", slug="pln", input_schema=InputSchema.PLN)
    item = ProductFactory(
        provider=provider_ensure("digiflazz"), provider_sku="PLN20", brand=brand, name="PLN 20"
    )
    return catalog_reprice_product(product=item)


def body(item, meter: str = METER) -> dict:
    return {"product_id": item.pk, "customer_data": {"meter_number": meter}}


def test_needs_a_key(api, pln_item):
    response = api.post(CHECK, body(pln_item), key="")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@responses.activate
def test_found_names_the_account(api, pln_item):
    responses.post(INQUIRY, json=FOUND)

    response = api.post(CHECK, body(pln_item))

    assert response.status_code == 200
    assert response.json() == {"found": True, "name": "SITI RAHAYU", "extra": EXTRA, "brand": "pln"}
    sent = json.loads(responses.calls[0].request.body)
    assert sent["customer_no"] == METER


@responses.activate
def test_by_item_id_too(api, pln_item):
    responses.post(INQUIRY, json=FOUND)

    response = api.post(
        CHECK, {"item_id": pln_item.shop_item_id, "customer_data": {"meter_number": METER}}
    )

    assert response.status_code == 200
    assert response.json()["brand"] == "pln"


@responses.activate
def test_by_brand_slug_too(api, pln_item):
    responses.post(INQUIRY, json=FOUND)

    response = api.post(CHECK, {"brand": "pln", "customer_data": {"meter_number": METER}})

    assert response.status_code == 200
    assert response.json()["name"] == "SITI RAHAYU"


@pytest.mark.parametrize(
    ("request_body", "status", "code"),
    [
        ({"customer_data": {"meter_number": METER}}, 400, "invalid_request"),
        ({"brand": "pln", "product_id": 1, "customer_data": {}}, 400, "invalid_request"),
        ({"brand": "nope", "customer_data": {"meter_number": METER}}, 400, "unknown_brand"),
        ({"product_id": 2**40, "customer_data": {"meter_number": METER}}, 400, "unknown_product"),
        ({"item_id": 2**40, "customer_data": {"meter_number": METER}}, 400, "unknown_item"),
        ({"item_id": 1, "product_id": 1, "customer_data": {}}, 400, "invalid_request"),
        ({"brand": "pln", "customer_data": {"meter_number": "12"}}, 400, "invalid_input"),
    ],
)
def test_bad_requests_are_400_and_ask_nobody(api, pln_item, request_body, status, code):
    with responses.RequestsMock() as fake:
        response = api.post(CHECK, request_body)
        assert len(fake.calls) == 0
    assert response.status_code == status
    assert response.json()["code"] == code


@responses.activate
def test_not_found_is_422(api, pln_item):
    responses.post(INQUIRY, json=NOT_FOUND, status=400)

    response = api.post(CHECK, body(pln_item))

    assert response.status_code == 422
    assert response.json() == {
        "code": "account_not_found",
        "message": "No account was found with these details. Please check them and try again.",
    }


@responses.activate
def test_an_outage_is_503_and_not_cached(api, pln_item):
    responses.post(INQUIRY, body="down", status=502)

    first = api.post(CHECK, body(pln_item))
    responses.replace(responses.POST, INQUIRY, json=FOUND)
    second = api.post(CHECK, body(pln_item))

    assert first.status_code == 503
    assert first.json()["code"] == "account_check_unavailable"
    assert second.status_code == 200


def test_a_brand_nobody_checks_is_422(api, pln_item, priced_product):
    response = api.post(
        CHECK, {"product_id": priced_product.pk, "customer_data": {"user_id": "12345678"}}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "account_check_unsupported"


@responses.activate
def test_the_key_has_its_own_account_check_limit(api, other_api, pln_item, settings):
    settings.ACCOUNT_CHECKS_PER_KEY_PER_MINUTE = 1
    responses.post(INQUIRY, json=FOUND)

    assert api.post(CHECK, body(pln_item)).status_code == 200
    refused = api.post(CHECK, body(pln_item, "53123456780"))
    cached = api.post(CHECK, body(pln_item))  # an answer from the cache is free
    other = other_api.post(CHECK, body(pln_item, "53123456780"))

    assert refused.status_code == 429
    assert refused.json()["code"] == "account_checks_rate_limited"
    assert int(refused["Retry-After"]) >= 1
    assert cached.status_code == 200
    assert other.status_code == 200
    assert len(responses.calls) == 2


@responses.activate
def test_an_api_order_records_the_checked_name(api, funded_reseller, pln_item):
    responses.post(INQUIRY, json=FOUND)
    api.post(CHECK, body(pln_item))

    created = api.post("/api/v1/orders", {"ref_id": "pln-1", **body(pln_item)})
    shown = api.get("/api/v1/orders/pln-1")

    assert created.status_code == 201
    assert created.json()["account_name"] == "SITI RAHAYU"
    assert shown.json()["account_name"] == "SITI RAHAYU"
    assert Order.objects.get().account_name == "SITI RAHAYU"
    assert len(responses.calls) == 1


@responses.activate
def test_an_api_order_for_an_unknown_account_is_refused_and_charges_nothing(
    api, funded_reseller, pln_item
):
    responses.post(INQUIRY, json=NOT_FOUND, status=400)
    before = balance_of(funded_reseller)

    response = api.post("/api/v1/orders", {"ref_id": "pln-2", **body(pln_item)})

    assert response.status_code == 422
    assert response.json()["code"] == "account_not_found"
    assert not Order.objects.exists()
    assert balance_of(funded_reseller) == before
    assert api.get("/api/v1/orders/pln-2").status_code == 404


@responses.activate
def test_an_api_order_goes_on_through_an_outage_unless_the_brand_requires_a_check(
    api, funded_reseller, pln_item
):
    responses.post(INQUIRY, body="down", status=502)

    allowed = api.post("/api/v1/orders", {"ref_id": "pln-3", **body(pln_item)})
    pln_item.brand.requires_confirmed_account = True
    pln_item.brand.save()
    refused = api.post("/api/v1/orders", {"ref_id": "pln-4", **body(pln_item, "53123456780")})

    assert allowed.status_code == 201
    assert allowed.json()["account_name"] == ""
    assert refused.status_code == 503
    assert refused.json()["code"] == "account_unconfirmed"
    assert Order.objects.count() == 1
    assert balance_of(funded_reseller) == Decimal("50000") - pln_item.price_reseller


# --- the endpoint keeps to its schema with checks on ------------------------------------------

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).include(
    path_regex="^/api/v1/accounts/check$"
)


def _inquiry_reply(request):
    meter = json.loads(request.body).get("customer_no", "")
    if meter.endswith("0"):
        return 400, {}, json.dumps(NOT_FOUND)
    if meter.endswith("5"):
        return 502, {}, "down"
    return 200, {}, json.dumps(FOUND)


@pytest.fixture
def fuzz_pln_key(funded_reseller, pln_item) -> str:
    _key, raw = api_key_create(user=funded_reseller, rate_limit_per_minute=100_000)
    return raw


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_account_check_keeps_to_its_schema(case, fuzz_pln_key):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.add_callback(responses.POST, INQUIRY, callback=_inquiry_reply)
        case.call_and_validate(
            headers={"Authorization": f"Bearer {fuzz_pln_key}"},
            excluded_checks=[positive_data_acceptance, negative_data_rejection],
        )
