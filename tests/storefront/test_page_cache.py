"""The guest page cache (catalog.page_cache): a page is built once per catalog version, and
every change of what it shows (a price, a pricing rule, a sync, availability, a brand's
words) changes the version in its own transaction, so the next page shows it.

These tests commit (transactional database): the version changes at the commit, and a
transaction's own uncommitted changes bypass the cache.
"""

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from catalog.models import Brand, PricingRule, Product, Provider, ShopItem
from catalog.page_cache import catalog_version, fragments
from catalog.services import catalog_reprice_product
from providers.base import Balance
from providers.services import (
    provider_mark_out_of_balance,
    provider_record_balance,
    provider_resume_selling,
)
from tests.catalog.test_sync import item, sync
from tests.orders.fixtures import make_user
from tests.storefront.support import ML5_RESELLER, ML5_RETAIL, make_storefront

pytestmark = pytest.mark.django_db(transaction=True)

BRAND_URL = "/brands/mobile-legends/"
SUPPLIER_PAUSED = "Temporarily unavailable from the supplier."


@pytest.fixture
def committed_storefront():
    fragments.clear()
    return make_storefront()


def ml5_price(client) -> str:
    """The price the brand page shows for ML5 (its radio's label), or "" when not for sale."""
    page = client.get(BRAND_URL).content.decode()
    match = re.search(
        r"MOBILE LEGENDS 5 Diamond</span>\s*<span class=\"price\" data-price>([^<]+)<", page
    )
    return match.group(1) if match else ""


def rupiah(amount: Decimal) -> str:
    return f"Rp {amount:,.0f}"


def test_a_guests_pages_are_built_once_per_catalog_version(client, committed_storefront):
    for url in (BRAND_URL, "/", "/search/?q=legends"):
        client.get(url)
        built = fragments.builds

        response = client.get(url)

        assert response.status_code == 200
        assert fragments.builds == built
    assert ml5_price(client) == rupiah(ML5_RETAIL)


def test_a_price_change_shows_at_once(client, committed_storefront):
    _, ml5, _ = committed_storefront
    assert ml5_price(client) == rupiah(ML5_RETAIL)
    version = catalog_version()

    Product.objects.filter(pk=ml5.pk).update(cost=Decimal("2000"))
    catalog_reprice_product(product=Product.objects.get(pk=ml5.pk), reason="cost")

    assert catalog_version() != version
    assert ml5_price(client) == rupiah(Decimal("2100"))


def test_a_pricing_rule_changed_in_the_admin_shows_at_once(
    client, admin_client, committed_storefront
):
    assert ml5_price(client) == rupiah(ML5_RETAIL)
    rule = PricingRule.objects.get(tier="retail")

    response = admin_client.post(
        reverse("admin:catalog_pricingrule_change", args=[rule.pk]),
        {
            "scope": "global",
            "tier": "retail",
            "percent": "10",
            "flat_amount": "0",
            "min_margin": "0",
            "rounding_step": "1",
            "active": "on",
        },
    )

    assert response.status_code == 302
    assert ml5_price(client) == rupiah(Decimal("1566"))  # 1,423 + 10%, rounded up


def test_a_sync_shows_at_once(client, committed_storefront):
    _, ml5, _ = committed_storefront
    assert ml5_price(client) == rupiah(ML5_RETAIL)

    run = sync(
        ml5.provider,
        [item("ML5", "3000", name="MOBILE LEGENDS 5 Diamond", brand="Mobile Legends")],
    )

    assert run.status == "success"
    assert ml5_price(client) == rupiah(Decimal("3150"))


def test_an_unchanged_sync_keeps_the_cached_pages(client, committed_storefront):
    _, ml5, _ = committed_storefront
    items = [item("ML5", "1423", name="MOBILE LEGENDS 5 Diamond", brand="Mobile Legends")]
    sync(ml5.provider, items)
    client.get(BRAND_URL)
    version, built = catalog_version(), fragments.builds

    sync(ml5.provider, items)

    assert catalog_version() == version
    assert ml5_price(client) == rupiah(ML5_RETAIL)
    assert fragments.builds == built


def test_a_product_deactivated_in_the_admin_leaves_the_page_at_once(
    client, admin_client, committed_storefront
):
    _, ml5, _ = committed_storefront
    assert ml5_price(client) == rupiah(ML5_RETAIL)
    form = {
        "provider": ml5.provider.pk,
        "provider_sku": ml5.provider_sku,
        "brand": ml5.brand.pk,
        "name": ml5.name,
        "cost": "1423",
        "cost_currency": "IDR",
        "denomination_type": "fixed",
        "provider_active": "on",
        "shop_item": ml5.shop_item_id,
    }

    response = admin_client.post(reverse("admin:catalog_product_change", args=[ml5.pk]), form)

    assert response.status_code == 302
    assert ml5_price(client) == ""
    assert "Not on sale at the moment." in client.get(BRAND_URL).content.decode()


def test_a_provider_paused_and_resumed_for_its_balance_shows_at_once(client, committed_storefront):
    assert ml5_price(client) == rupiah(ML5_RETAIL)

    provider_mark_out_of_balance(code="digiflazz")
    assert ml5_price(client) == ""
    assert SUPPLIER_PAUSED in client.get(BRAND_URL).content.decode()

    provider_record_balance(
        code="digiflazz", balance=Balance(amount=Decimal("500000"), currency="IDR")
    )
    assert ml5_price(client) == rupiah(ML5_RETAIL)

    provider_mark_out_of_balance(code="digiflazz")
    assert ml5_price(client) == ""
    provider_resume_selling(code="digiflazz")
    assert ml5_price(client) == rupiah(ML5_RETAIL)


def test_a_provider_disabled_in_the_admin_shows_at_once(client, admin_client, committed_storefront):
    provider = Provider.objects.get(code="digiflazz")
    assert ml5_price(client) == rupiah(ML5_RETAIL)

    response = admin_client.post(
        reverse("admin:catalog_provider_change", args=[provider.pk]),
        {
            "code": provider.code,
            "name": provider.name,
            "kind": provider.kind,
            "currency": provider.currency,
            "exchange_rate": "1",
            "low_balance_threshold": "0",
        },
    )

    assert response.status_code == 302
    assert SUPPLIER_PAUSED in client.get(BRAND_URL).content.decode()


def test_a_balance_reading_that_changes_nothing_shown_keeps_the_cached_pages(
    client, committed_storefront
):
    client.get(BRAND_URL)
    version, built = catalog_version(), fragments.builds

    provider_record_balance(
        code="digiflazz", balance=Balance(amount=Decimal("123456"), currency="IDR")
    )

    assert catalog_version() == version
    client.get(BRAND_URL)
    assert fragments.builds == built


def test_a_brands_words_and_a_raw_sql_price_show_at_once(client, committed_storefront):
    brand, ml5, _ = committed_storefront
    client.get(BRAND_URL)

    Brand.objects.filter(pk=brand.pk).update(instructions="Type the id shown in the game.")
    with connection.cursor() as cursor:
        cursor.execute(  # the price shown is the shop item's
            "UPDATE catalog_shopitem SET price_retail = 1777 WHERE id = %s", [ml5.shop_item_id]
        )

    page = client.get(BRAND_URL).content.decode()
    assert "Type the id shown in the game." in page
    assert ml5_price(client) == rupiah(Decimal("1777"))


def test_a_rolled_back_change_keeps_the_version(committed_storefront):
    _, ml5, _ = committed_storefront
    version = catalog_version()

    with transaction.atomic():
        Product.objects.filter(pk=ml5.pk).update(price_retail=Decimal("1"))
        transaction.set_rollback(True)

    assert catalog_version() == version


def test_a_transaction_sees_its_own_change_before_it_commits(client, committed_storefront):
    _, ml5, _ = committed_storefront
    client.get(BRAND_URL)

    with transaction.atomic():
        ShopItem.objects.filter(pk=ml5.shop_item_id).update(price_retail=Decimal("1888"))
        assert catalog_version() is None  # this transaction's pages are not cached
        assert ml5_price(client) == rupiah(Decimal("1888"))
        transaction.set_rollback(True)

    assert ml5_price(client) == rupiah(ML5_RETAIL)


def test_the_languages_do_not_share_a_page(client, committed_storefront):
    english = client.get(BRAND_URL).content.decode()
    client.cookies["django_language"] = "id"
    indonesian = client.get(BRAND_URL).content.decode()
    client.cookies["django_language"] = "en"
    english_again = client.get(BRAND_URL).content.decode()

    assert "Choose an item" in english
    assert "Choose an item" not in indonesian
    assert 'lang="id"' in indonesian
    assert "Rp 1.495" in indonesian  # rupiah grouped with dots in Indonesian
    assert "Choose an item" in english_again
    assert "Rp 1,495" in english_again


def _tokens(page: str) -> tuple[list[str], str]:
    csrf = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    checkout = re.search(r'name="checkout_token" value="([^"]+)"', page).group(1)
    return csrf, checkout


def test_two_guests_get_one_cached_page_with_their_own_tokens(committed_storefront):
    first, second = Client(), Client()
    page_one = first.get(BRAND_URL).content.decode()
    built = fragments.builds
    page_two = second.get(BRAND_URL).content.decode()

    assert fragments.builds == built  # the second guest's page came from the cache
    csrf_one, checkout_one = _tokens(page_one)
    csrf_two, checkout_two = _tokens(page_two)
    assert checkout_one != checkout_two
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    assert set(csrf_one).isdisjoint(csrf_two)
    # apart from the tokens, the pages are the same
    strip = re.compile(r'value="[^"]+"(?=>)|name="(csrfmiddlewaretoken|checkout_token)"')
    assert strip.sub("", page_one).count("data-price") == strip.sub("", page_two).count(
        "data-price"
    )


def test_a_reseller_keeps_reseller_prices_beside_the_guests_cache(client, committed_storefront):
    assert ml5_price(client) == rupiah(ML5_RETAIL)
    reseller = Client()
    reseller.force_login(make_user("res", reseller=True))

    assert ml5_price(reseller) == rupiah(ML5_RESELLER)
    assert rupiah(ML5_RESELLER) in reseller.get("/search/?q=legends").content.decode()
    assert rupiah(ML5_RETAIL) in client.get("/search/?q=legends").content.decode()
    assert ml5_price(client) == rupiah(ML5_RETAIL)
