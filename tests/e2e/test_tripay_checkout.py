"""The Tripay checkout path in Chromium against the Tripay simulator on the live server.

The shop is configured for Tripay (`PAYMENT_GATEWAY=tripay`, `TRIPAY_BASE_URL` at the
simulator): the channel list and the signed transaction create go over HTTP to the
simulator, which checks the signature and answers in Tripay's format; its checkout page
settles the payment and sends Tripay's signed callback to the shop. Placement runs eagerly in
the callback's request (the Digiflazz simulator is on the same live server); the worker path
is covered in tests/e2e/test_storefront.py and tests/pipeline.
"""

from decimal import Decimal

import pytest
from django.core.cache import cache

from catalog.services import catalog_reprice_all
from orders.models import Order, OrderStatus
from providers.models import SimulatedOrder
from tests.catalog.factories import ProductFactory
from tests.storefront.support import make_storefront
from wallets.models import Transfer
from wallets.selectors import ledger_check
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

pytestmark = pytest.mark.django_db(transaction=True)

ML172_RETAIL = Decimal("41685.00")  # 39,700 + 5%; above the channels' minimum amounts


@pytest.fixture
def tripay_shop(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    settings.PAYMENT_GATEWAY = "tripay"
    settings.TRIPAY_BASE_URL = live_server.url + "/sim/tripay/api"
    cache.clear()  # Tripay's channel list is cached: read this simulator's
    brand, ml5, _ = make_storefront()
    ProductFactory(
        provider=ml5.provider,
        provider_sku="ML172",
        brand=brand,
        name="MOBILE LEGENDS 172 Diamond",
        cost=Decimal("39700"),
    )
    catalog_reprice_all()
    yield live_server
    cache.clear()


def guest_buys(page, base_url: str, channel: str) -> Order:
    page.goto(f"{base_url}/brands/mobile-legends/")
    page.get_by_label("MOBILE LEGENDS 172 Diamond").check()
    page.get_by_label("User ID").fill("12345678")
    page.get_by_label("Zone ID").fill("1234")
    page.get_by_label("Your e-mail").fill("guest@example.com")
    page.get_by_label("Payment channel").select_option(label=channel)
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_url(f"{base_url}/orders/**")
    return Order.objects.get()


def test_a_guest_pays_through_tripay_and_the_order_is_placed(tripay_shop, page):
    live_server = tripay_shop
    order = guest_buys(page, live_server.url, "BRI Virtual Account")

    # the transaction was created at the simulator, signed, for this order and channel
    transaction = SimulatedOrder.objects.get(provider="tripay", reference=order.code)
    assert transaction.request["method"] == "BRIVA"
    assert Decimal(str(transaction.request["amount"])) == ML172_RETAIL == order.price
    assert transaction.callback_url == f"{live_server.url}/api/webhooks/tripay"
    assert order.gateway_reference == transaction.external_id
    assert order.payment_channel == "BRIVA"
    assert order.status == OrderStatus.PENDING_PAYMENT

    # pay code and checkout link on the page, and still there after a refresh
    pay_code = transaction.state["pay_code"]
    assert page.locator(".pay code").first.inner_text() == pay_code
    checkout_url = page.locator("a[data-checkout]").get_attribute("href")
    assert checkout_url == f"{live_server.url}/sim/tripay/checkout/{transaction.external_id}"
    page.reload()
    assert page.locator(".pay code").first.inner_text() == pay_code
    assert "Rp 41,685" in page.locator(".pay").inner_text()

    gateway = page.context.new_page()  # pay at Tripay in another tab
    gateway.goto(checkout_url)
    gateway.get_by_role("button", name="Pay").click()

    page.locator('[data-status="success"]').wait_for(timeout=20_000)  # without a reload
    order.refresh_from_db()
    assert order.status == OrderStatus.SUCCESS
    assert order.amount_received is not None
    assert order.events.filter(to_status=OrderStatus.PAID).count() == 1
    assert order.events.filter(to_status=OrderStatus.PROCESSING).exists()
    assert page.locator("[data-voucher-serial]").inner_text() == order.vouchers.get().serial
    delivery = WebhookDelivery.objects.get(source=WebhookSource.TRIPAY)
    assert delivery.signature_valid is True
    assert delivery.outcome == DeliveryOutcome.PROCESSED
    assert Transfer.objects.filter(idempotency_key=f"order:{order.code}:payment").count() == 1
    assert ledger_check().ok
    gateway.close()


@pytest.mark.parametrize(
    ("action", "status", "shown"),
    [
        ("Expire", OrderStatus.EXPIRED, "The time to pay has passed; nothing was charged."),
        ("Fail", OrderStatus.CANCELLED, "Cancelled"),
    ],
)
def test_an_expired_or_failed_tripay_payment_closes_the_order(
    tripay_shop, page, action, status, shown
):
    live_server = tripay_shop
    order = guest_buys(page, live_server.url, "QRIS")
    transaction = SimulatedOrder.objects.get(provider="tripay", reference=order.code)
    assert transaction.request["method"] == "QRIS"
    assert (
        page.locator("img.qr")
        .get_attribute("src")
        .endswith(f"/sim/tripay/qr/{transaction.external_id}")
    )

    gateway = page.context.new_page()
    gateway.goto(page.locator("a[data-checkout]").get_attribute("href"))
    gateway.get_by_role("button", name=action).click()

    page.locator(f'[data-status="{status}"]').wait_for(timeout=20_000)
    order.refresh_from_db()
    assert order.status == status
    assert order.amount_received is None
    assert shown in page.locator("#order-status").inner_text()
    assert not SimulatedOrder.objects.filter(provider="digiflazz").exists()  # never placed
    assert not Transfer.objects.filter(reference=order.code).exists()  # no money moved
    delivery = WebhookDelivery.objects.get(source=WebhookSource.TRIPAY)
    assert (delivery.signature_valid, delivery.outcome) == (True, DeliveryOutcome.PROCESSED)
    gateway.close()
