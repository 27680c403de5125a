"""Buying a shop item with two routes, at the storefront and over the reseller API: the
order goes to the cheapest route the price covers, records the item and the route, charges
the item's price, and the buyer never sees a provider's name."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from catalog.services import catalog_reprice_all
from orders.models import Order, PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from providers.defaults import provider_ensure
from resellers.services import api_key_create
from shop.errors import ApplicationError
from shop.models import PriceTier
from tests.catalog.factories import ProductFactory, ProviderFactory, ShopItemFactory
from tests.orders.fixtures import fund, make_user
from tests.resellers.conftest import ApiClient
from tests.storefront.support import GAME_ZONE_INPUT, buy, make_storefront

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed():
    """The storefront's Mobile Legends brand with a "Weekly Pass" item bought from
    Digiflazz (10,000) or a second supplier (9,500), priced 5% over the cheapest with the margin
    floor against the dearer."""
    brand, _ml5, _ml86 = make_storefront()
    item = ShopItemFactory(
        brand=brand, category=brand.category, name="Weekly Diamond Pass", name_id="Pass Mingguan"
    )
    dear = ProductFactory(
        shop_item=item,
        brand=brand,
        provider=provider_ensure("digiflazz"),
        provider_sku="WDP",
        name="DIGI weekly pass",
        cost=Decimal("10000"),
    )
    cheap = ProductFactory(
        shop_item=item,
        brand=brand,
        provider=ProviderFactory(code="second", name="Second Supplier"),
        provider_sku="FOX-WDP",
        name="FOX WEEKLY",
        cost=Decimal("9500"),
    )
    catalog_reprice_all()
    item.refresh_from_db()
    return item, cheap, dear


def form(item, **overrides):
    return {
        "item": item.pk,
        **GAME_ZONE_INPUT,
        "buyer_email": "guest@example.com",
        "payment_method": PaymentMethod.GATEWAY,
        "channel": "SANDBOX",
        **overrides,
    }


def test_the_item_price_is_the_rule_on_the_cheapest_route_at_least_the_dearest_cost(routed):
    item, _cheap, _dear = routed
    # 9,500 * 1.05 = 9,975: below the floor, 10,000 (the dearer route) + 0 (min margin)
    assert item.price_retail == Decimal("10000.00")
    assert item.price_reseller == Decimal("10000.00")  # 9,690 raised to the floor


def test_the_brand_page_lists_the_item_once_without_provider_names(client, routed):
    item, cheap, dear = routed

    page = client.get("/brands/mobile-legends/").content.decode()

    assert page.count(f'name="item" value="{item.pk}"') == 1
    assert "Weekly Diamond Pass" in page
    for hidden in (cheap.name, dear.name, "Digiflazz", "digiflazz", "Second Supplier"):
        assert hidden not in page


def test_the_indonesian_page_shows_the_indonesian_name(client, routed):
    client.cookies["django_language"] = "id"
    with translation.override("id"):
        page = client.get("/brands/mobile-legends/", HTTP_ACCEPT_LANGUAGE="id").content.decode()

    assert "Pass Mingguan" in page
    assert "Weekly Diamond Pass" not in page


def test_a_storefront_buy_goes_to_the_cheapest_route(client, routed):
    item, cheap, _dear = routed

    response = buy(client, form(item))

    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert order.shop_item == item
    assert (order.product, order.provider_code, order.provider_sku) == (
        cheap,
        "second",
        "FOX-WDP",
    )
    assert order.cost == Decimal("9500.00")
    assert order.price == Decimal("10000.00")
    assert order.product_name == "Weekly Diamond Pass"


def test_when_the_cheapest_route_is_in_its_cut_off_the_order_goes_to_the_other(client, routed):
    item, cheap, dear = routed
    now = timezone.localtime()
    cheap.cutoff_start = (now - timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    cheap.cutoff_end = (now + timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    cheap.save()

    buy(client, form(item))

    order = Order.objects.get()
    assert (order.product, order.cost, order.price) == (
        dear,
        Decimal("10000.00"),
        item.price_retail,
    )


def test_no_usable_route_refuses_the_order_and_stores_nothing(routed):
    item, cheap, dear = routed
    for product in (cheap, dear):
        product.cutoff_start, product.cutoff_end = time(0, 0), time(23, 59, 59)
        product.save()

    with pytest.raises(ApplicationError) as refused:
        order_create(
            purchase=Purchase(
                item=item,
                customer_data=GAME_ZONE_INPUT,
                payment_method=PaymentMethod.GATEWAY,
                guest_email="guest@example.com",
            )
        )
    assert refused.value.code == "not_for_sale"
    assert not Order.objects.exists()


@pytest.fixture
def api(routed):
    reseller = make_user("reseller", reseller=True)
    fund(reseller, Decimal("50000"))
    _key, raw = api_key_create(user=reseller, name="test")
    return ApiClient(raw)


def test_the_price_list_has_the_item_once_with_its_item_id(api, routed):
    item, _cheap, _dear = routed

    rows = [row for row in api.get("/api/v1/products").json() if row["item_id"] == item.pk]

    assert len(rows) == 1
    assert rows[0]["price"] == "10000.00"
    assert rows[0]["available"] is True


@pytest.mark.parametrize("by", ["item_id", "product_id of the dearer route (deprecated)"])
def test_an_api_order_goes_to_the_cheapest_route(api, routed, by):
    item, cheap, dear = routed
    target = {"item_id": item.pk} if by == "item_id" else {"product_id": dear.pk}

    reply = api.post(
        "/api/v1/orders", {"ref_id": "R-1", "customer_data": GAME_ZONE_INPUT, **target}
    )

    assert reply.status_code == 201, reply.content
    order = Order.objects.get(code=reply.json()["code"])
    assert (order.shop_item, order.product, order.cost) == (item, cheap, Decimal("9500.00"))
    assert order.price == item.stored_price(PriceTier.RESELLER)
    assert reply.json()["price"] == "10000.00"


def test_an_unknown_item_id_is_a_400_that_names_it(api):
    reply = api.post(
        "/api/v1/orders", {"ref_id": "R-1", "customer_data": GAME_ZONE_INPUT, "item_id": 999999}
    )

    assert reply.status_code == 400
    assert reply.json()["code"] == "unknown_item"
    assert not Order.objects.exists()
