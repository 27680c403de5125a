"""The promotions admin: who may create (the marketing group), pause, the report and its
CSV export."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import transaction

from orders.models import PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create_paid_from_wallet
from promotions.models import FlashSale, PromoCode
from tests.ops.conftest import staff_client
from tests.orders.fixtures import GAME_INPUT, PRICE, fund, make_user
from tests.promotions.factories import FlashSaleFactory, PromoCodeFactory

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/promotions/promocode/add/"
LIST_URL = "/admin/promotions/promocode/"


def add_form(**overrides) -> dict:
    return {
        "name": "Ramadan",
        "code": "ramadan",
        "kind": "percent",
        "value": "5",
        "scope": "everything",
        "tiers": "all",
        "min_purchase": "0",
        "starts_at_0": "2026-01-01",
        "starts_at_1": "00:00:00",
        "ends_at_0": "2030-01-01",
        "ends_at_1": "00:00:00",
        **overrides,
    }


def test_the_marketing_group_creates_a_code(db):
    client = staff_client("mia-marketing", "marketing")

    response = client.post(ADD_URL, add_form())

    assert response.status_code == 302, response.content.decode()[:2000]
    promo = PromoCode.objects.get()
    assert promo.code == "RAMADAN"  # stored upper case
    assert promo.created_by.username == "mia-marketing"


@pytest.mark.parametrize("group", ["support", "finance", None])
def test_other_staff_may_not_create_promotions(db, group):
    client = staff_client(f"user-{group}", group)

    assert client.get(ADD_URL).status_code == 403
    assert client.post(ADD_URL, add_form()).status_code == 403
    assert client.get("/admin/promotions/flashsale/add/").status_code == 403
    assert not PromoCode.objects.exists()


def test_a_bad_code_is_a_form_error_not_a_500(db):
    client = staff_client("mia-marketing", "marketing")

    response = client.post(ADD_URL, add_form(scope="item", value="150"))

    assert response.status_code == 200
    assert not PromoCode.objects.exists()


def test_pause_and_resume_from_the_list(db):
    promo = PromoCodeFactory()
    client = staff_client("mia-marketing", "marketing")

    client.post(LIST_URL, {"action": "pause", "_selected_action": [promo.pk]})
    promo.refresh_from_db()
    assert promo.paused
    client.post(LIST_URL, {"action": "resume", "_selected_action": [promo.pk]})
    promo.refresh_from_db()
    assert not promo.paused


def test_the_report_and_its_csv_show_uses_discount_revenue_and_margin(product):
    promo = PromoCodeFactory(code="LAPORAN")
    sale = FlashSaleFactory(item=product.shop_item, paused=True)
    buyer = make_user("buyer")
    fund(buyer, Decimal("100000"))
    for _ in range(2):
        with transaction.atomic():
            order_create_paid_from_wallet(
                purchase=Purchase(
                    product=product,
                    user=buyer,
                    customer_data=GAME_INPUT,
                    payment_method=PaymentMethod.BALANCE,
                    promo_code="LAPORAN",
                )
            )
    client = staff_client("fin", "finance")

    page = client.get(f"/admin/promotions/promocode/{promo.pk}/change/").content.decode()
    export = client.post(LIST_URL, {"action": "export_csv", "_selected_action": [promo.pk]})
    flash_export = client.post(
        "/admin/promotions/flashsale/", {"action": "export_csv", "_selected_action": [sale.pk]}
    )

    assert "2 (0 given back)" in page
    assert export["Content-Type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert (row["kind"], row["code"], row["uses"]) == ("code", "LAPORAN", "2")
    assert Decimal(row["discount"]) == 600
    assert Decimal(row["revenue"]) == (PRICE - 300) * 2
    assert Decimal(row["margin"]) == (PRICE - 300 - Decimal("10000")) * 2
    [flash_row] = list(csv.DictReader(io.StringIO(flash_export.content.decode())))
    assert (flash_row["kind"], flash_row["uses"], flash_row["limit"]) == ("flash_sale", "0", "50")


def test_support_cannot_export_the_report(db):
    promo = PromoCodeFactory()
    client = staff_client("sue", "support")

    response = client.post(LIST_URL, {"action": "export_csv", "_selected_action": [promo.pk]})

    assert response.status_code == 403


def test_a_flash_sale_is_created_by_marketing(product):
    client = staff_client("mia-marketing", "marketing")

    response = client.post(
        "/admin/promotions/flashsale/add/",
        {
            "name": "Jam 12",
            "item": product.shop_item.pk,
            "price": "10100",
            "stock": "50",
            "starts_at_0": "2026-01-01",
            "starts_at_1": "00:00:00",
            "ends_at_0": "2030-01-01",
            "ends_at_1": "00:00:00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert FlashSale.objects.get().stock == 50


def test_a_flash_sale_of_a_flexible_item_is_a_form_error(db):
    from tests.catalog.factories import ProductFactory

    flexible = ProductFactory(flexible=True)
    client = staff_client("mia-marketing", "marketing")

    response = client.post(
        "/admin/promotions/flashsale/add/",
        {
            "name": "Any amount",
            "item": flexible.shop_item.pk,
            "price": "10100",
            "stock": "5",
            "starts_at_0": "2026-01-01",
            "starts_at_1": "00:00:00",
            "ends_at_0": "2030-01-01",
            "ends_at_1": "00:00:00",
        },
    )

    assert response.status_code == 200
    assert "A flash sale prices a fixed item" in response.content.decode()
    assert not FlashSale.objects.exists()
