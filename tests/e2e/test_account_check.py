"""The account check ("cek ID") in Chromium: a guest types a PLN meter number, presses
"Check" (htmx), sees the customer's name and tariff, then picks an item and buys; the order
page shows the name. A number the provider does not know stops the purchase with a clear
message; a provider outage lets it go on (the brand does not require a checked account).
Digiflazz's simulator answers /inquiry-pln from the live server."""

from decimal import Decimal

import pytest

from catalog.models import InputSchema
from catalog.services import catalog_reprice_all
from orders.models import Order
from providers.defaults import provider_ensure
from providers.digiflazz.simulator import UNKNOWN_METER, fake_pln_customer
from shop.models import PriceTier
from tests.catalog.factories import BrandFactory, PricingRuleFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

METER = "53123456789"


@pytest.fixture
def pln(live_server, settings, account_checks):
    settings.SITE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    brand = BrandFactory(name="PLN", slug="pln", input_schema=InputSchema.PLN)
    ProductFactory(
        provider=provider_ensure("digiflazz"),
        provider_sku="PLN20",
        brand=brand,
        name="PLN 20.000",
        cost=Decimal("20150"),
    )
    catalog_reprice_all()
    return f"{live_server.url}/brands/pln/"


def check(page, meter: str):
    page.get_by_label("Meter number").fill(meter)
    page.get_by_role("button", name="Check", exact=True).click()
    return page.locator("[data-account-check]")


def buy(page) -> None:
    page.get_by_label("PLN 20.000").check()
    page.get_by_label("Your e-mail").fill("guest@example.com")
    page.get_by_role("button", name="Buy now").click()


def test_check_shows_the_name_then_the_order_keeps_it(page, pln):
    customer = fake_pln_customer(METER)
    page.goto(pln)

    result = check(page, METER)

    result.wait_for()
    assert result.get_attribute("data-account-check") == "found"
    assert page.locator("[data-account-name]").inner_text() == customer["name"]
    assert page.locator("[data-account-power]").inner_text() == customer["segment_power"]
    assert page.url == pln  # htmx: the page stayed, the typed number too
    assert page.get_by_label("Meter number").input_value() == METER

    buy(page)

    page.locator("[data-status]").wait_for()
    order = Order.objects.get()
    assert order.account_name == customer["name"]
    assert page.locator("dd[data-account-name]").inner_text() == customer["name"]


def test_an_unknown_meter_stops_the_purchase_with_a_clear_message(page, pln):
    page.goto(pln)

    result = check(page, UNKNOWN_METER)

    result.wait_for()
    assert result.get_attribute("data-account-check") == "not_found"
    assert "No account was found with these details" in result.inner_text()

    buy(page)  # the server checks again on submit

    page.wait_for_load_state()
    assert page.url.endswith("/buy/pln/")
    assert "No account was found with these details" in page.locator(".errors").inner_text()
    assert Order.objects.count() == 0


def test_an_outage_lets_the_purchase_go_on(page, pln):
    page.goto(pln)

    result = check(page, "531234567" + "95")  # the simulator answers HTTP 500

    result.wait_for()
    assert result.get_attribute("data-account-check") == "unavailable"
    assert "You can still buy it" in result.inner_text()

    buy(page)

    page.locator("[data-status]").wait_for()
    assert Order.objects.get().account_name == ""
