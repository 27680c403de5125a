"""The home page and the search sell the shop's items: brands with a sellable item only,
names in the shop's words and the page's language, never a provider's product name; and a
change of a shop item reaches a guest's cached page at its commit."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from catalog.models import Category, Product, ShopItem
from catalog.page_cache import catalog_version, fragments
from tests.catalog.factories import BrandFactory, ProductFactory, ShopItemFactory
from tests.storefront.support import make_storefront


@pytest.fixture
def shop(db):
    """The storefront's Mobile Legends (ML5 sellable, ML86 inactive at the provider) named
    by the shop in both languages, plus a brand whose only product is unmapped."""
    brand, ml5, ml86 = make_storefront()
    Category.objects.filter(pk=brand.category_id).update(name_id="Permainan")
    brand.name_id = "Mobile Legends: Bang Bang"
    brand.save()
    ShopItem.objects.filter(pk=ml5.shop_item_id).update(
        name="5 Diamonds", name_id="5 Berlian", price_retail=Decimal("1500")
    )
    unmapped_brand = BrandFactory(name="Unmapped Game", slug="unmapped-game", is_popular=True)
    ProductFactory(brand=unmapped_brand, name="Unmapped Game 10 Gems", shop_item=None)
    return {"brand": brand, "ml5": ml5, "ml86": ml86, "unmapped": unmapped_brand}


def page(client, url: str, *, language: str = "en", **params) -> str:
    client.cookies["django_language"] = language
    return client.get(url, params).content.decode()


pytestmark = pytest.mark.django_db


def test_home_lists_only_brands_with_a_sellable_item(client, shop):
    home = page(client, "/")

    assert 'href="/brands/mobile-legends/"' in home
    assert "/brands/unmapped-game/" not in home  # popular, but nothing mapped to sell


def test_a_brand_whose_items_cannot_deliver_leaves_the_home_page(client, shop):
    Product.objects.filter(pk=shop["ml5"].pk).update(admin_active=False)

    assert 'href="/brands/mobile-legends/"' not in page(client, "/")


def test_a_brand_whose_items_are_out_of_stock_leaves_the_home_page(client, shop):
    # the home page's SQL rule is the router's: a route with no stock may not be used
    Product.objects.filter(pk=shop["ml5"].pk).update(stock=0)

    assert 'href="/brands/mobile-legends/"' not in page(client, "/")


def test_a_switched_off_item_does_not_sell(client, shop):
    ShopItem.objects.filter(pk=shop["ml5"].shop_item_id).update(active=False)

    assert 'href="/brands/mobile-legends/"' not in page(client, "/")
    assert "Nothing found" in page(client, "/search/", q="diamonds")


def test_indonesian_pages_show_the_shops_indonesian_names(client, shop):
    home = page(client, "/", language="id")

    assert "Mobile Legends: Bang Bang" in home
    assert "<h2>Permainan</h2>" in home
    english = page(client, "/")
    assert "<h2>Games</h2>" in english
    assert "Mobile Legends: Bang Bang" not in english


@pytest.mark.parametrize(
    ("query", "language", "shown"),
    [
        ("5 diamonds", "en", "Mobile Legends — 5 Diamonds"),
        ("berlian", "id", "Mobile Legends: Bang Bang — 5 Berlian"),
        ("berlian", "en", "Mobile Legends — 5 Diamonds"),  # found by either language's name
        ("bang bang", "en", "Mobile Legends — 5 Diamonds"),  # by the brand's other name
    ],
)
def test_search_finds_items_by_the_shops_names_in_both_languages(
    client, shop, query, language, shown
):
    results = page(client, "/search/", language=language, q=query)

    assert shown in results
    assert "Rp 1" in results  # the item's own price


def test_search_never_finds_a_providers_product_name(client, shop):
    # the item is "5 Diamonds": the provider's "MOBILE LEGENDS 5 Diamond" is not the shop's
    results = page(client, "/search/", q="5 diamond ")
    assert "MOBILE LEGENDS 5 Diamond" not in results

    assert "Nothing found" in page(client, "/search/", q="Unmapped Game 10")
    assert "Nothing found" in page(client, "/search/", q="ML5")


def test_search_shows_no_price_for_an_item_not_priced_even_when_a_route_is(client, shop):
    ShopItem.objects.filter(pk=shop["ml5"].shop_item_id).update(price_retail=None)

    results = page(client, "/search/", q="5 diamonds")

    assert "5 Diamonds" in results
    assert "Rp 1,495" not in results  # the route's own stored price is not the item's


def test_search_finds_brands_by_either_name(client, shop):
    assert 'href="/brands/mobile-legends/"' in page(client, "/search/", q="bang bang")
    assert "/brands/unmapped-game/" not in page(client, "/search/", q="unmapped")


def test_a_flexible_item_is_found_without_a_price(client, shop):
    ShopItemFactory(
        brand=shop["brand"],
        name="Any amount",
        denomination_type="flexible",
        min_amount=Decimal("10000"),
        max_amount=Decimal("100000"),
        price_retail=Decimal("1"),
    )
    ProductFactory(
        brand=shop["brand"],
        flexible=True,
        shop_item=ShopItem.objects.get(name="Any amount"),
    )

    results = page(client, "/search/", q="any amount")

    assert "Mobile Legends — Any amount</a></li>" in results


@pytest.mark.django_db(transaction=True)
def test_a_shop_item_change_bumps_the_guest_page_cache_at_its_commit():
    fragments.clear()
    _, ml5, _ = make_storefront()
    client = Client()
    before = catalog_version()
    assert "5 Diamonds" not in page(client, "/search/", q="legends")

    with transaction.atomic():
        ShopItem.objects.filter(pk=ml5.shop_item_id).update(name="5 Diamonds")
        assert catalog_version() is None  # this transaction's own change: no cache

    assert catalog_version() not in (None, before)
    assert "Mobile Legends — 5 Diamonds" in page(client, "/search/", q="legends")

    # a new item (and its route) shows on the cached home page at once too
    new_brand = BrandFactory(name="Fresh Game", slug="fresh-game")
    assert "/brands/fresh-game/" not in page(client, "/")
    item = ShopItemFactory(brand=new_brand, name="Fresh 10")
    ProductFactory(brand=new_brand, shop_item=item)
    assert "/brands/fresh-game/" in page(client, "/")
    with transaction.atomic():
        ShopItem.objects.filter(pk=item.pk).update(active=False)
    assert "/brands/fresh-game/" not in page(client, "/")
