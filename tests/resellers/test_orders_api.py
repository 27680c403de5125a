"""The endpoints: price list, balance, validate, create (idempotent by ref_id), read."""

import json
from decimal import Decimal

import pytest

from catalog.models import InputSchema
from orders.models import Order, OrderStatus
from resellers.models import ApiOrder
from tests.catalog.factories import BrandFactory, ProductFactory
from tests.orders.fixtures import RESELLER_PRICE, balance_of, fund
from wallets.models import Transfer

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders"


def order_body(product, ref_id="R-1", **overrides):
    return {
        "ref_id": ref_id,
        "product_id": product.pk,
        "customer_data": {"user_id": "12345678"},
    } | overrides


def test_the_price_list_is_at_the_resellers_tier_with_fields(api, priced_product):
    reply = api.get("/api/v1/products")

    assert reply.status_code == 200
    [row] = reply.json()
    assert row == {
        "item_id": priced_product.shop_item_id,
        "id": priced_product.pk,  # deprecated: a product id that orders this item
        "name": priced_product.name,
        "brand": priced_product.brand.slug,
        "brand_name": priced_product.brand.name,
        "category": priced_product.brand.category.slug,
        "denomination_type": "fixed",
        "price": "10200.00",
        "min_amount": None,
        "max_amount": None,
        "currency": "IDR",
        "available": True,
        "unavailable_reason": "",
        "fields": [
            {
                "name": "user_id",
                "label": "User ID",
                "help_text": "The numeric ID shown in your game profile.",
                "input_mode": "numeric",
                "pattern": "[0-9]{4,20}",
                "choices": [],
            }
        ],
    }


def test_the_price_list_filters_and_shows_unavailable_products(api, priced_product):
    phone = ProductFactory(
        brand=BrandFactory(input_schema=InputSchema.PHONE), provider_active=False
    )

    by_brand = api.get("/api/v1/products", {"brand": phone.brand.slug}).json()
    by_category = api.get(
        "/api/v1/products", {"category": priced_product.brand.category.slug}
    ).json()
    nothing = api.get("/api/v1/products", {"brand": "no-such-brand"}).json()

    assert [row["id"] for row in by_brand] == [phone.pk]
    assert by_brand[0]["available"] is False
    assert by_brand[0]["price"] is None
    assert by_brand[0]["unavailable_reason"] == "inactive at the provider"
    assert by_brand[0]["fields"][0]["name"] == "phone"
    assert [row["id"] for row in by_category] == [priced_product.pk]
    assert nothing == []


def test_validate_checks_without_charging(api, priced_product, funded_reseller):
    reply = api.post(f"{ORDERS}/validate", order_body(priced_product))

    assert reply.status_code == 200
    assert reply.json() == {
        "valid": True,
        "item_id": priced_product.shop_item_id,
        "product_id": priced_product.pk,  # as sent (deprecated)
        "price": "10200.00",
        "list_price": "10200.00",  # no promotion: the same
        "discount": "0.00",
        "promotion": "",
        "currency": "IDR",
        "balance": "50000.00",
        "customer_no": "12345678",
    }
    assert balance_of(funded_reseller) == Decimal("50000.00")
    assert not Order.objects.exists()


def test_validate_refusals(api, priced_product):
    bad_field = api.post(
        f"{ORDERS}/validate", order_body(priced_product, customer_data={"user_id": "12x"})
    )
    no_product = api.post(f"{ORDERS}/validate", order_body(priced_product, product_id=999999))
    missing = api.post(f"{ORDERS}/validate", {"customer_data": {}})

    assert bad_field.status_code == 400
    assert bad_field.json() == {
        "code": "invalid_input",
        "message": "Please correct the account details.",
        "details": {"fields": {"user_id": ["User ID must contain digits only."]}},
    }
    assert no_product.status_code == 400
    assert no_product.json()["code"] == "unknown_product"
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid_request"
    assert missing.json()["details"]["fields"] == {
        "non_field_errors": ["Give either `item_id` or `product_id`."]
    }


def test_create_pays_from_the_wallet(api, priced_product, funded_reseller):
    reply = api.post(ORDERS, order_body(priced_product))

    assert reply.status_code == 201
    body = reply.json()
    order = Order.objects.get()
    assert body["ref_id"] == "R-1"
    assert body["code"] == order.code
    assert body["status"] == OrderStatus.PAID
    assert body["price"] == "10200.00"
    assert body["vouchers"] == []
    assert body["message"] == ""
    assert order.user == funded_reseller
    assert order.payment_method == "balance"
    assert balance_of(funded_reseller) == Decimal("50000.00") - RESELLER_PRICE


def test_the_same_ref_id_and_body_returns_the_order_and_charges_nothing(
    api, priced_product, funded_reseller
):
    first = api.post(ORDERS, order_body(priced_product))
    again = api.post(ORDERS, order_body(priced_product))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Order.objects.count() == 1
    assert Transfer.objects.filter(idempotency_key__endswith=":debit").count() == 1
    assert balance_of(funded_reseller) == Decimal("50000.00") - RESELLER_PRICE


def test_the_same_ref_id_with_another_body_is_409(api, priced_product, funded_reseller):
    api.post(ORDERS, order_body(priced_product))

    reply = api.post(ORDERS, order_body(priced_product, customer_data={"user_id": "99999999"}))

    assert reply.status_code == 409
    assert reply.json() == {
        "code": "idempotency_conflict",
        "message": "The ref_id R-1 was already used for a different order.",
        "details": {"ref_id": "R-1"},
    }
    assert Order.objects.count() == 1
    assert balance_of(funded_reseller) == Decimal("50000.00") - RESELLER_PRICE


def test_a_retry_gets_its_order_even_when_the_order_would_now_be_refused(
    api, priced_product, funded_reseller
):
    first = api.post(ORDERS, order_body(priced_product))
    fund(funded_reseller, -balance_of(funded_reseller))  # the wallet is empty now
    priced_product.provider_active = False  # and the product off sale
    priced_product.save()

    again = api.post(ORDERS, order_body(priced_product))
    other = api.post(ORDERS, order_body(priced_product, customer_data={"user_id": "99999999"}))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_conflict")
    assert Order.objects.count() == 1
    assert Transfer.objects.filter(idempotency_key__endswith=":debit").count() == 1


def test_an_api_order_is_stored_paid_with_its_created_and_paid_events(
    api, priced_product, funded_reseller
):
    reply = api.post(ORDERS, order_body(priced_product))

    order = Order.objects.get(code=reply.json()["code"])
    assert order.status == OrderStatus.PAID
    assert order.paid_at is not None
    assert order.paid_at == order.created_at  # paid as it was created, never before
    events = list(order.events.order_by("pk").values_list("from_status", "to_status", "message"))
    assert events == [
        ("", OrderStatus.PENDING_PAYMENT, "Order created"),
        (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, "Paid from wallet"),
    ]
    assert reply.json()["vouchers"] == []


def test_insufficient_balance_is_402_with_the_balance_and_leaves_the_ref_id_free(
    api, priced_product, funded_reseller
):
    for index in range(4):
        assert api.post(ORDERS, order_body(priced_product, ref_id=f"R-{index}")).status_code == 201

    refused = api.post(ORDERS, order_body(priced_product, ref_id="R-late"))

    assert refused.status_code == 402
    assert refused.json() == {
        "code": "insufficient_balance",
        "message": "Insufficient balance: 9200.00 IDR available, 10200.00 IDR needed.",
        "details": {"balance": "9200.00", "needed": "10200.00"},
    }
    assert Order.objects.count() == 4
    assert not ApiOrder.objects.filter(ref_id="R-late").exists()
    fund(funded_reseller, Decimal("1000"))
    assert api.post(ORDERS, order_body(priced_product, ref_id="R-late")).status_code == 201


def test_one_reseller_cannot_see_anothers_orders(api, other_api, priced_product):
    api.post(ORDERS, order_body(priced_product, ref_id="MINE"))

    assert other_api.get(f"{ORDERS}/MINE").status_code == 404
    assert other_api.get(f"{ORDERS}/MINE").json() == {
        "code": "not_found",
        "message": "You have no order MINE.",
    }
    assert other_api.get(ORDERS).json()["results"] == []
    assert api.get(f"{ORDERS}/MINE").json()["ref_id"] == "MINE"
    # The other reseller may use the same ref_id for an order of its own.
    assert other_api.post(ORDERS, order_body(priced_product, ref_id="MINE")).status_code == 201
    assert Order.objects.count() == 2


def test_list_filters_by_status_and_date_and_pages(api, priced_product):
    for index in range(3):
        api.post(ORDERS, order_body(priced_product, ref_id=f"R-{index}"))
    Order.objects.filter(code=ApiOrder.objects.get(ref_id="R-0").order.code).update(
        status=OrderStatus.SUCCESS
    )
    ApiOrder.objects.filter(ref_id="R-2").update(created_at="2020-01-01T00:00:00Z")

    paid = api.get(ORDERS, {"status": "paid"}).json()
    success = api.get(ORDERS, {"status": "success"}).json()
    recent = api.get(ORDERS, {"created_from": "2021-01-01"}).json()
    old = api.get(ORDERS, {"created_to": "2021-01-01"}).json()
    paged = api.get(ORDERS, {"page_size": 2}).json()
    bad = api.get(ORDERS, {"status": "bogus"})

    assert [row["ref_id"] for row in paid["results"]] == ["R-1", "R-2"]
    assert [row["ref_id"] for row in success["results"]] == ["R-0"]
    assert {row["ref_id"] for row in recent["results"]} == {"R-0", "R-1"}
    assert [row["ref_id"] for row in old["results"]] == ["R-2"]
    assert paged["count"] == 3
    assert len(paged["results"]) == 2
    assert paged["next"]
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_request"


def test_the_schema_documents_the_api(client):
    reply = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert reply.status_code == 200
    paths = reply.json()["paths"]
    for path in (
        "/api/v1/products",
        "/api/v1/balance",
        "/api/v1/orders",
        "/api/v1/orders/validate",
        "/api/v1/orders/{ref_id}",
    ):
        assert path in paths
    assert "ResellerApiKey" in reply.json()["components"]["securitySchemes"]
    listed = paths["/api/v1/orders"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"] == {"$ref": "#/components/schemas/PaginatedOrderOutputList"}
    assert set(paths["/api/v1/orders/validate"]) == {"get", "post"}
    assert set(paths["/api/v1/orders"]["post"]["requestBody"]["content"]) == {"application/json"}
    assert client.get("/developers/api/").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/balance", "/api/v1/orders/R-1"])
def test_a_nul_in_the_address_is_a_documented_400_in_the_apis_shape(api, client, path):
    reply = api.client.get(f"{path}?a%00b=1", HTTP_AUTHORIZATION=f"Bearer {api.key}")

    assert reply.status_code == 400
    assert reply.json() == {
        "code": "invalid_request",
        "message": "A NUL character is not allowed here.",
    }
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    template = path.replace("R-1", "{ref_id}")
    assert "400" in schema["paths"][template]["get"]["responses"]


def test_the_ref_id_validate_is_an_order_like_any_other(api, other_api, priced_product):
    assert api.get(f"{ORDERS}/validate").status_code == 404  # no such order yet

    created = api.post(ORDERS, order_body(priced_product, ref_id="validate"))
    read = api.get(f"{ORDERS}/validate")
    checked = api.post(f"{ORDERS}/validate", order_body(priced_product, ref_id="validate"))
    theirs = other_api.get(f"{ORDERS}/validate")

    assert created.status_code == 201
    assert read.status_code == 200
    assert read.json() == created.json()
    assert read.json()["ref_id"] == "validate"
    # POST on the same path still validates: nothing new is made or charged.
    assert checked.status_code == 200
    assert checked.json()["valid"] is True
    assert Order.objects.count() == 1
    assert theirs.status_code == 404
    assert theirs.json() == {"code": "not_found", "message": "You have no order validate."}


@pytest.mark.parametrize("ref_id", ["a.b:c-d_E.9", "-", "_", ":", "...", ".x."])
def test_every_accepted_ref_id_can_be_read_back(api, priced_product, ref_id):
    assert api.post(ORDERS, order_body(priced_product, ref_id=ref_id)).status_code == 201

    read = api.get(f"{ORDERS}/{ref_id}")

    assert read.status_code == 200
    assert read.json()["ref_id"] == ref_id


@pytest.mark.parametrize("ref_id", [".", ".."])
def test_ref_ids_a_url_cannot_carry_are_refused(api, priced_product, ref_id):
    reply = api.post(ORDERS, order_body(priced_product, ref_id=ref_id))

    assert reply.status_code == 400
    assert reply.json() == {
        "code": "invalid_request",
        "message": "The request is invalid.",
        "details": {"fields": {"ref_id": ['A ref_id cannot be "." or "..".']}},
    }
    assert not Order.objects.exists()


def test_the_api_takes_json_bodies_only(api, priced_product):
    reply = api.client.post(
        ORDERS,
        {"ref_id": "FORM", "product_id": priced_product.pk, "customer_data": "x"},
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )

    assert reply.status_code == 415
    assert reply.json()["code"] == "unsupported_media_type"
    assert not Order.objects.exists()


@pytest.mark.parametrize("path", [ORDERS, "/api/v1/orders/validate"])
def test_json_nested_too_deep_is_400_invalid_json(api, priced_product, path):
    reply = api.client.post(
        path,
        b"[" * 5000 + b"]" * 5000,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.key}",
    )

    assert reply.status_code == 400
    assert reply.json() == {
        "code": "invalid_json",
        "message": "JSON parse error - nested too deeply.",
    }
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "params",
    [
        {"created_from": "0001-01-01"},
        {"created_to": "0001-01-01"},
        {"created_from": "9999-12-31"},
        {"created_to": "9999-12-31T23:59:59+00:00"},
        {"created_from": "0001-01-01T00:00:00-14:00"},
    ],
)
def test_a_date_at_the_edge_of_the_calendar_is_400(api, params):
    reply = api.get(ORDERS, params)

    assert reply.status_code == 400
    body = reply.json()
    assert body["code"] == "invalid_request"
    assert "out of range" in json.dumps(body["details"]["fields"]).lower()
