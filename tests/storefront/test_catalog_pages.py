import pytest

from tests.orders.fixtures import make_user

pytestmark = pytest.mark.django_db


def test_home_lists_categories_popular_brands_and_a_search_box(client, storefront):
    page = client.get("/").content.decode()

    assert 'href="/brands/mobile-legends/"' in page
    assert "Games" in page
    assert "Popular" in page
    assert 'name="q"' in page


@pytest.mark.parametrize("query", ["legends", "5 diamond", "MOBILE"])
def test_search_finds_brands_and_products(client, storefront, query):
    page = client.get("/search/", {"q": query}).content.decode()

    assert "/brands/mobile-legends/" in page


def test_search_leaves_out_products_not_for_sale(client, storefront):
    page = client.get("/search/", {"q": "86 Diamond"}).content.decode()

    assert "MOBILE LEGENDS 86 Diamond" not in page  # inactive at the provider
    assert "Nothing found" in page


def test_search_with_no_match_says_so(client, storefront):
    page = client.get("/search/", {"q": "zzz-none"}).content.decode()

    assert "Nothing found" in page


def test_a_guest_sees_retail_prices_unavailable_items_and_instructions(client, storefront):
    page = client.get("/brands/mobile-legends/").content.decode()

    assert "Rp 1,495" in page
    assert "Rp 1,452" not in page
    assert "Enter your User ID and Zone ID." in page
    assert 'MOBILE LEGENDS 86 Diamond</span> — <span class="reason">Out of stock' in page
    # the browser checks the schema's fields before the server does
    assert 'name="user_id"' in page
    assert 'pattern="[0-9]{4,20}"' in page
    assert 'inputmode="numeric"' in page
    assert "required" in page
    assert 'name="buyer_email"' in page
    assert "Pay from my wallet" not in page


def test_a_reseller_sees_reseller_prices_and_the_wallet_balance(client, storefront):
    client.force_login(make_user("res", reseller=True))

    page = client.get("/brands/mobile-legends/").content.decode()

    assert "Rp 1,452" in page
    assert "Rp 1,495" not in page
    assert "Wallet balance" in page
    assert "Rp 0" in page
    assert "Pay from my wallet" in page
    assert 'name="buyer_email"' not in page


def test_an_unknown_brand_is_a_404(client, storefront):
    assert client.get("/brands/nope/").status_code == 404


def test_indonesian_pages_format_rupiah_with_dots(client, storefront):
    client.cookies["django_language"] = "id"

    page = client.get("/brands/mobile-legends/").content.decode()

    assert "Rp 1.495" in page
    assert "Beli sekarang" in page


def test_the_language_switcher_sets_bahasa_indonesia(client, storefront):
    response = client.post("/i18n/setlang/", {"language": "id", "next": "/"}, follow=True)

    page = response.content.decode()
    assert '<html lang="id">' in page
    assert "Produk digital, terkirim dalam hitungan detik" in page


@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        ("en", "1234567.00", "IDR", "Rp 1,234,567"),
        ("id", "1234567.00", "IDR", "Rp 1.234.567"),
        ("en", "12.50", "USD", "12.50 USD"),
        ("id", "12.50", "USD", "12,50 USD"),
    ],
)
def test_amounts_follow_the_locale_and_rupiah_has_no_decimals(language, amount, currency, shown):
    from decimal import Decimal

    from django.utils import translation

    from accounts.templatetags.storefront import money

    with translation.override(language):
        assert money(Decimal(amount), currency) == shown
