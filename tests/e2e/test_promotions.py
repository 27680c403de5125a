"""Promotions in Chromium: a guest applies a promo code (the price shows before paying) and
buys with it; a signed-in buyer sees a flash sale's countdown and stock and buys at the
sale price; no page breaks the Content-Security-Policy."""

import re
from decimal import Decimal

import pytest

from orders.models import Order, OrderStatus
from promotions.models import FlashSale, PromoCode
from tests.e2e.test_csp import Violations
from tests.orders.fixtures import balance_of, fund, make_user
from tests.promotions.factories import FlashSaleFactory, PromoCodeFactory
from tests.storefront.support import ML5_RETAIL, make_storefront

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password-1"


@pytest.fixture
def shop(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    return make_storefront()


def test_a_guest_applies_a_code_sees_the_price_and_buys_with_it(live_server, page, shop):
    _brand, _ml5, _ = shop
    PromoCodeFactory(code="HEMAT50", value=Decimal("50"), total_limit=10)
    violations = Violations(page)
    violations.visit(f"{live_server.url}/brands/mobile-legends/")

    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Your e-mail").fill("guest@example.com")
    page.get_by_label("Promo code").fill("hemat50")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("load")

    shown = page.locator("[data-promo-price]").inner_text()
    assert "Rp 1,445" in shown
    assert "Rp 1,495" in shown
    assert not Order.objects.exists()  # nothing is created by Apply
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url(f"{live_server.url}/orders/**")

    order = Order.objects.get()
    assert order.price == ML5_RETAIL - 50
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert "Rp 1,445" in page.locator("[data-order-price]").inner_text()
    assert PromoCode.objects.get().used == 1
    violations.collect()
    assert violations.found == []


def test_a_refused_code_shows_why_on_the_form(live_server, page, shop):
    PromoCodeFactory(code="HABIS", total_limit=0)
    page.goto(f"{live_server.url}/brands/mobile-legends/")

    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Your e-mail").fill("guest@example.com")
    page.get_by_label("Promo code").fill("HABIS")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_load_state("load")

    assert "This promo code has been used up." in page.locator(".field.has-errors").inner_text()
    assert not Order.objects.exists()


def test_a_buyer_sees_the_flash_sale_count_down_and_buys_at_its_price(live_server, page, shop):
    _brand, ml5, _ = shop
    FlashSaleFactory(item=ml5.shop_item, price=Decimal("1450"), stock=3)
    buyer = make_user("flash")
    buyer.set_password(PASSWORD)
    buyer.save()
    fund(buyer, Decimal("10000"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("flash")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    violations = Violations(page)
    violations.visit(f"{live_server.url}/brands/mobile-legends/")

    panel = page.locator(".flash-sales")
    assert "Rp 1,450" in panel.inner_text()
    assert "3 left" in panel.inner_text()
    countdown = panel.locator("time[data-countdown]")
    page.wait_for_function(
        "() => /^\\d+:\\d\\d:\\d\\d$/.test(document.querySelector('time[data-countdown]')"
        ".textContent)"
    )
    first = countdown.inner_text()
    page.wait_for_function(
        f"() => document.querySelector('time[data-countdown]').textContent !== '{first}'"
    )  # it ticks
    assert re.fullmatch(r"\d+:\d\d:\d\d", countdown.inner_text())

    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Pay from my wallet").check()
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url(f"{live_server.url}/orders/**")

    order = Order.objects.get()
    assert order.price == Decimal("1450")
    assert balance_of(buyer) == Decimal("10000") - Decimal("1450")
    assert FlashSale.objects.get().sold == 1
    page.goto(f"{live_server.url}/brands/mobile-legends/")
    assert "2 left" in page.locator(".flash-sales").inner_text()
    violations.collect()
    assert violations.found == []
