"""Bills in Chromium against the live server and the Digiflazz simulator: a signed-in
customer checks a PLN postpaid bill, sees every amount, pays from the wallet once (the
button clicked twice) and gets a printable receipt; no CSP violation on the way."""

from decimal import Decimal

import pytest

from orders.models import Order, OrderStatus
from tests.e2e.test_csp import Violations
from tests.e2e.test_storefront import sign_in, user_with_password
from tests.orders.fixtures import balance_of, fund
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_pays_a_pln_bill_from_the_wallet(live_server, page, simulator, bill_products):
    buyer = user_with_password("bill-buyer")
    fund(buyer, Decimal("1000000"))
    violations = Violations(page)
    sign_in(page, live_server.url, "bill-buyer")

    page.get_by_role("link", name="Bills").click()
    page.get_by_label("Bill").select_option(label="PLN Pascabayar")
    page.get_by_label("Customer number").fill("530000000002")
    page.get_by_role("button", name="Check the bill").click()

    page.locator("[data-bill-name]").wait_for()
    order = Order.objects.get()
    assert page.locator("[data-bill-name]").inner_text() == "PELANGGAN SIMULASI 0002"
    assert page.locator("[data-bill-period]").count() == 3
    assert page.locator("[data-bill-admin-fee]").inner_text() == "Rp 7,500"
    assert page.locator("[data-bill-service-fee]").inner_text() == "Rp 1,500"
    assert page.locator("[data-bill-total]").inner_text() == f"Rp {order.price:,.0f}"
    violations.collect()

    pay = page.get_by_role("button", name=f"Pay Rp {order.price:,.0f}")
    pay.dblclick()
    page.locator("[data-bill-reference]").wait_for()
    violations.collect()

    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCESS
    assert page.get_by_role("heading", name="Receipt").is_visible()
    assert page.get_by_role("button", name="Print the receipt").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert balance_of(buyer) == Decimal("1000000") - order.price
    assert ledger_check().ok
    assert violations.found == []
