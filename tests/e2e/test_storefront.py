"""The storefront in Chromium against the live server, with the sandbox gateway and the
Digiflazz simulator in the same server (placement runs eagerly, in the callback's request)."""

from decimal import Decimal

import pytest

from orders.models import Order, OrderStatus
from shop.models import User
from tests.orders.fixtures import balance_of, fund, make_user
from tests.storefront.support import ML5_RESELLER, make_storefront

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    return make_storefront()


def test_a_guest_buys_a_top_up_and_watches_the_order_succeed_live(live_server, page, shop):
    _brand, _ml5, _ = shop
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Mobile Legends").first.click()
    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    assert page.locator(".unavailable").inner_text().count("86 Diamond") == 1
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Your e-mail").fill("guest@example.com")
    page.get_by_role("button", name="Buy now").click()

    order = Order.objects.get()
    page.wait_for_url(f"**/orders/{order.code}/?t={order.access_token}")
    assert page.locator("[data-status]").get_attribute("data-status") == "pending_payment"
    assert "Rp 1,495" in page.locator("[data-order-price]").inner_text()
    checkout_url = page.locator("a[data-checkout]").get_attribute("href")
    page.reload()  # the instructions stay after a refresh
    assert page.locator("a[data-checkout]").get_attribute("href") == checkout_url

    gateway = page.context.new_page()  # pay in another tab; the order page updates alone
    gateway.goto(checkout_url)
    gateway.get_by_role("button", name="Pay").click()
    gateway.wait_for_url(f"**/orders/{order.code}/?t={order.access_token}")

    page.locator('[data-status="success"]').wait_for(timeout=15_000)
    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCESS
    serial = order.vouchers.get().serial
    assert serial
    assert page.locator("[data-voucher-serial]").inner_text() == serial
    assert page.locator("#order-status").get_attribute("hx-trigger") is None  # polling stopped


def test_a_reseller_pays_from_the_wallet_and_sees_the_balance_drop(live_server, page, shop):
    reseller = make_user("reseller", reseller=True)
    reseller.set_password("a-long-password-1")
    reseller.save()
    fund(reseller, Decimal("50000"))

    page.goto(f"{live_server.url}/accounts/login/?next=/brands/mobile-legends/")
    page.get_by_label("Username").fill("reseller")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/brands/mobile-legends/")
    assert "Rp 1,452" in page.get_by_label("MOBILE LEGENDS 5 Diamond").locator("..").inner_text()
    assert page.locator("[data-wallet-balance]").inner_text() == "Rp 50,000"
    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Pay from my wallet").check()
    page.get_by_role("button", name="Buy now").click()

    page.locator('[data-status="success"]').wait_for(timeout=15_000)
    assert balance_of(User.objects.get(username="reseller")) == Decimal("50000") - ML5_RESELLER
    page.goto(f"{live_server.url}/account/wallet/")
    assert "Rp 48,548" in page.locator("p.balance").inner_text()
