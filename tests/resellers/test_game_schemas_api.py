"""The reseller API's product schema for the games: each game's fields, the server choice
list, and the game checks on validate and create (in the API's one error shape)."""

from decimal import Decimal

import pytest

from catalog.models import InputSchema
from catalog.services import catalog_reprice_product
from orders.models import Order
from tests.catalog.factories import BrandFactory, ProductFactory

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/orders"


@pytest.fixture
def genshin(priced_product):  # priced_product brings the pricing rules
    brand = BrandFactory(name="Genshin Impact", input_schema=InputSchema.GENSHIN_IMPACT)
    return catalog_reprice_product(product=ProductFactory(brand=brand, cost=Decimal("16000")))


@pytest.fixture
def valorant(priced_product):
    brand = BrandFactory(name="Valorant", input_schema=InputSchema.RIOT_ID)
    return catalog_reprice_product(product=ProductFactory(brand=brand, cost=Decimal("16000")))


def test_a_genshin_product_lists_the_uid_and_the_server_choices(api, genshin):
    [row] = api.get("/api/v1/products", {"brand": genshin.brand.slug}).json()

    assert row["fields"] == [
        {
            "name": "user_id",
            "label": "UID",
            "help_text": "Open the Paimon menu: your UID is at the bottom right.",
            "input_mode": "numeric",
            "pattern": "[0-9]{9,10}",
            "choices": [],
        },
        {
            "name": "server",
            "label": "Server",
            "help_text": (
                "The server of your UID: 6… America, 7… Europe, 8… or 18… Asia, 9… TW, HK, MO."
            ),
            "input_mode": "text",
            "pattern": "",
            "choices": [
                {"value": "os_asia", "label": "Asia"},
                {"value": "os_usa", "label": "America"},
                {"value": "os_euro", "label": "Europe"},
                {"value": "os_cht", "label": "TW, HK, MO"},
            ],
        },
    ]


def test_a_valorant_product_asks_for_the_riot_id(api, valorant):
    [row] = api.get("/api/v1/products", {"brand": valorant.brand.slug}).json()

    assert [(f["name"], f["label"], f["choices"]) for f in row["fields"]] == [
        ("riot_id", "Riot ID", [])
    ]


def test_the_openapi_schema_documents_the_choices(client):
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"][
        "schemas"
    ]

    assert schemas["FieldOutput"]["properties"]["choices"]["items"] == {
        "$ref": "#/components/schemas/ChoiceOutput"
    }
    assert set(schemas["ChoiceOutput"]["properties"]) == {"value", "label"}


def test_a_uid_on_another_server_is_a_field_error_and_no_order(api, genshin):
    body = {
        "ref_id": "GI-1",
        "product_id": genshin.pk,
        "customer_data": {"user_id": "812345678", "server": "os_euro"},
    }

    validated = api.post(f"{ORDERS}/validate", body)
    created = api.post(ORDERS, body)

    for reply in (validated, created):
        assert reply.status_code == 400
        assert reply.json() == {
            "code": "invalid_input",
            "message": "Please correct the account details.",
            "details": {
                "fields": {
                    "server": ["This UID is on the Asia server: choose Asia, or check the UID."]
                }
            },
        }
    assert not Order.objects.exists()


def test_a_genshin_order_keeps_the_canonical_fields(api, genshin):
    body = {
        "ref_id": "GI-2",
        "product_id": genshin.pk,
        "customer_data": {"user_id": " 812345678 ", "server": "os_asia", "zone_id": "ignored"},
    }

    reply = api.post(ORDERS, body)

    assert reply.status_code == 201
    order = Order.objects.get()
    assert order.customer_data == {"user_id": "812345678", "server": "os_asia"}
    assert order.customer_no == "812345678-os_asia"


def test_a_bad_riot_id_is_refused_in_the_api_s_shape(api, valorant):
    reply = api.post(
        f"{ORDERS}/validate",
        {"ref_id": "VP-1", "product_id": valorant.pk, "customer_data": {"riot_id": "Player"}},
    )

    assert reply.status_code == 400
    assert reply.json()["details"] == {
        "fields": {"riot_id": ["Enter your Riot ID as name#tag, e.g. Player#1234."]}
    }
