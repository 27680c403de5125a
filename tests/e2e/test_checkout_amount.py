"""A flexible (any-amount) product bought in Chromium: the amount field appears only for it,
the browser checks its range and step, the server checks again, and the order keeps the
amount at the price the rules give for it."""

from decimal import Decimal

import pytest

from orders.models import Order
from tests.catalog.factories import ProductFactory
from tests.storefront.support import make_storefront

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def flexible_shop(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    brand, ml5, _ = make_storefront()
    # 0.95 per unit: 50,000 costs 47,500, retail +5% = 49,875
    flexible = ProductFactory(
        flexible=True, brand=brand, provider=ml5.provider, name="Diamonds, any amount"
    )
    return ml5, flexible


def test_the_amount_field_follows_the_chosen_item_and_is_checked_twice(
    live_server, page, flexible_shop
):
    page.goto(f"{live_server.url}/brands/mobile-legends/")
    amount = page.get_by_label("Amount", exact=True)
    assert not amount.is_visible()

    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    assert not amount.is_visible()
    page.get_by_label("Diamonds, any amount").check()
    assert amount.is_visible()
    assert amount.evaluate("f => [f.min, f.max, f.step, f.required]") == [
        "10000",
        "1000000",
        "1",
        True,
    ]
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Your e-mail").fill("guest@example.com")

    amount.fill("9999")
    page.get_by_role("button", name="Buy now").click()
    assert amount.evaluate("f => f.validity.rangeUnderflow")  # the browser stops it
    assert page.url == f"{live_server.url}/brands/mobile-legends/"

    page.locator("form.checkout").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_load_state()
    assert (
        "Enter an amount from Rp 10,000 to Rp 1,000,000."
        in page.locator(".field.has-errors").inner_text()
    )
    assert not Order.objects.exists()

    page.get_by_label("Amount", exact=True).fill("50000")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url("**/orders/**")
    order = Order.objects.get()
    assert (order.amount, order.price) == (Decimal("50000.00"), Decimal("49875.00"))
    assert "Rp 49,875" in page.locator("[data-order-price]").inner_text()
    assert page.locator("[data-order-amount]").inner_text() == "Rp 50,000"
