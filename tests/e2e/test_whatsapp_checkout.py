"""A guest buys with only a WhatsApp number, in Chromium, and receives the code on the
WhatsApp simulator (the Cloud API's template message), in the language they shopped in."""

import pytest

from orders.models import Order, OrderStatus
from shop.models import MessageState, OutboundMessage
from tests.shop.messaging_support import whatsapp_inbox
from tests.storefront.support import make_storefront

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop(live_server, settings, simulators):
    settings.SITE_URL = live_server.url
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    return make_storefront()


def test_a_guest_buys_with_only_a_whatsapp_number_and_gets_the_code_there(live_server, page, shop):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Mobile Legends").first.click()
    page.get_by_label("MOBILE LEGENDS 5 Diamond").check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_role("button", name="Buy now").click()  # no way to reach the buyer yet
    assert "Enter a WhatsApp number or an e-mail address" in page.content()
    assert not Order.objects.exists()

    page.get_by_label("Your WhatsApp number").fill("0812 3456 7822")
    page.get_by_role("button", name="Buy now").click()

    order = Order.objects.get()
    assert (order.guest_phone, order.guest_email) == ("+6281234567822", "")
    page.wait_for_url(f"**/orders/{order.code}/?t={order.access_token}")
    checkout_url = page.locator("a[data-checkout]").get_attribute("href")
    page.goto(checkout_url)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"**/orders/{order.code}/?t={order.access_token}")
    page.locator('[data-status="success"]').wait_for(timeout=15_000)

    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCESS
    serial = order.vouchers.get().serial
    received = whatsapp_inbox("+6281234567822")
    # "paid" may arrive after "delivered": each is sent on its own, as soon as it can be.
    by_template = {m.payload["template"]["name"]: m.text for m in received}
    assert len(received) == 3
    assert sorted(by_template) == ["order_delivered", "order_needs_payment", "order_paid"]
    delivered = by_template["order_delivered"]
    assert delivered.startswith(f"Your order {order.code} is complete")
    assert f"Serial {serial}" in delivered
    assert f"/orders/{order.code}/?t={order.access_token}" in delivered
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {MessageState.SENT}
