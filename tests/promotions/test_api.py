"""Promotions in the reseller API: `promo_code` on validate and order, the flash sales
list, and the schema."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from promotions.models import PromoCode
from tests.promotions.factories import FlashSaleFactory, PromoCodeFactory
from tests.resellers.conftest import GAME_BODY

pytestmark = pytest.mark.django_db

RESELLER_PRICE = Decimal("10200.00")


def test_validate_quotes_the_price_with_a_code(api, priced_product):
    PromoCodeFactory(code="API100", value=Decimal("100"))

    reply = api.post(
        "/api/v1/orders/validate",
        {"product_id": priced_product.pk, "customer_data": GAME_BODY, "promo_code": "api100"},
    )

    assert reply.status_code == 200, reply.json()
    body = reply.json()
    assert (body["price"], body["list_price"], body["discount"], body["promotion"]) == (
        "10100.00",
        "10200.00",
        "100.00",
        "code",
    )
    assert PromoCode.objects.get().used == 0  # a quote claims nothing


def test_an_order_with_a_code_is_charged_the_discounted_price(api, priced_product):
    PromoCodeFactory(code="API100", value=Decimal("100"), total_limit=1)
    body = {"ref_id": "r1", "product_id": priced_product.pk, "customer_data": GAME_BODY}

    first = api.post("/api/v1/orders", {**body, "promo_code": "API100"})
    again = api.post("/api/v1/orders", {**body, "promo_code": "API100"})
    other = api.post("/api/v1/orders", {**body, "ref_id": "r2", "promo_code": "API100"})

    assert first.status_code == 201, first.json()
    assert first.json()["price"] == "10100.00"
    assert again.status_code == 200  # the same ref_id and body: the first order
    assert other.status_code == 422
    assert other.json()["code"] == "promo_code_refused"
    assert other.json()["details"]["reason"] == "used_up"
    assert PromoCode.objects.get().used == 1


def test_a_ref_id_sent_again_with_another_code_is_a_conflict(api, priced_product):
    PromoCodeFactory(code="A1", value=Decimal("100"))
    body = {"ref_id": "r1", "product_id": priced_product.pk, "customer_data": GAME_BODY}

    api.post("/api/v1/orders", body)
    reply = api.post("/api/v1/orders", {**body, "promo_code": "A1"})

    assert reply.status_code == 409


@pytest.mark.parametrize(
    ("code", "reason"),
    [("NOPE", "unknown"), ("OLD", "expired"), ("RETAIL", "not_for_tier")],
)
def test_refused_codes_say_why(api, priced_product, code, reason):
    now = timezone.now()
    PromoCodeFactory(code="OLD", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1))
    PromoCodeFactory(code="RETAIL", tiers="retail")

    reply = api.post(
        "/api/v1/orders",
        {
            "ref_id": "r",
            "product_id": priced_product.pk,
            "customer_data": GAME_BODY,
            "promo_code": code,
        },
    )

    assert reply.status_code == 422
    assert reply.json()["code"] == "promo_code_refused"
    assert reply.json()["details"]["reason"] == reason


def test_flash_sales_lists_the_running_sales_at_the_resellers_price(api, priced_product):
    sale = FlashSaleFactory(
        item=priced_product.shop_item,
        price=Decimal("10150"),
        price_reseller=Decimal("10100"),
        stock=5,
    )
    FlashSaleFactory(item=priced_product.shop_item, paused=True)

    reply = api.get("/api/v1/flash-sales")

    assert reply.status_code == 200
    [row] = reply.json()
    assert row["id"] == sale.pk
    assert row["price"] == "10100.00"
    assert row["product_ids"] == [priced_product.pk]
    assert (row["stock"], row["remaining"]) == (5, 5)
    order = api.post(
        "/api/v1/orders",
        {"ref_id": "f1", "product_id": priced_product.pk, "customer_data": GAME_BODY},
    )
    assert order.json()["price"] == "10100.00"
    assert api.get("/api/v1/flash-sales").json()[0]["remaining"] == 4


def test_flash_sales_needs_a_key(api):
    assert api.get("/api/v1/flash-sales", key="").status_code in (401, 403)


def test_the_schema_lists_flash_sales_and_promo_code(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert "/api/v1/flash-sales" in schema["paths"]
    assert "promo_code" in schema["components"]["schemas"]["OrderInput"]["properties"]
