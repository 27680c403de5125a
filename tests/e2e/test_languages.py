"""In Chromium: every bad field is named at once, in the browser and by the server; the
pages a buyer reads show the shop's words, dates and money in English and in Indonesian, at
phone and desktop widths (screenshots of each in artifacts/screenshots/)."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from catalog.models import InputSchema
from catalog.services import catalog_reprice_all
from orders.checkout import checkout_create
from orders.models import Order, PaymentMethod
from orders.purchase import Purchase
from orders.services.payments import order_mark_paid
from orders.services.provider_updates import order_apply_provider_update
from providers.digiflazz.adapter import result_from_transaction
from tests.catalog.factories import BrandFactory, ProductFactory
from tests.e2e.conftest import SCREENSHOTS
from tests.orders.fixtures import placement_deferred  # noqa: F401 (a fixture)
from tests.storefront.support import GAME_ZONE_INPUT, ML5_RETAIL, make_storefront

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def shop(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    brand, ml5, _ = make_storefront()
    brand.description = "Masukkan User ID & Zone ID, contoh 12345678-1234\nProses 1-3 menit"
    brand.instructions = ""
    brand.save()
    phone = BrandFactory(name="Pulsa", slug="pulsa", input_schema=InputSchema.PHONE)
    ProductFactory(brand=phone, name="Pulsa 5.000", cost=Decimal("5000"))
    gift = BrandFactory(name="Play Gift", slug="play-gift", input_schema=InputSchema.EMAIL)
    ProductFactory(brand=gift, name="Play Gift 50.000", cost=Decimal("50000"))
    catalog_reprice_all()
    return ml5


def in_language(page, base_url: str, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_the_browser_names_every_bad_field_at_once_and_so_does_the_server(live_server, page, shop):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/brands/pulsa/")
    page.get_by_label("Pulsa 5.000").check()
    page.get_by_label("Phone number").fill("call me")
    page.get_by_label("Your e-mail").fill("guest@")
    page.get_by_role("button", name="Buy now").click()

    # the browser stopped the form; both fields carry their message, not just the first
    assert page.url == f"{live_server.url}/brands/pulsa/"
    notes = page.locator("[data-browser-check]")
    assert notes.count() == 2
    assert page.locator("#id_phone ~ [data-browser-check]").inner_text() != ""
    assert page.locator("#id_buyer_email ~ [data-browser-check]").inner_text() != ""
    shoot(page, "languages_en_phone_browser_checks")

    # a corrected field loses its message; the other keeps it
    page.get_by_label("Phone number").fill("0812 3456 7890")
    assert page.locator("#id_phone ~ [data-browser-check]").count() == 0
    assert page.locator("#id_buyer_email ~ [data-browser-check]").count() == 1

    # the browser's checks bypassed: the server names both in one answer
    page.get_by_label("Phone number").fill("0712 3456 789")
    page.locator("form.checkout").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Buy now").click()
    page.wait_for_load_state()
    assert page.locator(".field.has-errors").count() == 2
    assert page.locator("#id_phone ~ .error").inner_text() == (
        "Enter an Indonesian mobile number starting with 08, +628 or 628."
    )
    assert page.locator("#id_buyer_email ~ .error").inner_text() == "Enter a valid email address."
    assert Order.objects.count() == 0


def failed_order(ml5) -> Order:
    """A guest's order made at 08:42 WIB that Digiflazz refused in its own words."""

    with time_machine.travel(datetime(2026, 12, 7, 1, 42, tzinfo=UTC), tick=False):
        order = checkout_create(
            purchase=Purchase(
                product=ml5,
                customer_data=GAME_ZONE_INPUT,
                payment_method=PaymentMethod.GATEWAY,
                guest_email="guest@example.com",
            )
        )
    order = order_mark_paid(order=order, amount=ML5_RETAIL)
    reply = {"ref_id": order.code, "status": "Gagal", "rc": "54", "message": "Transaksi Gagal"}
    return order_apply_provider_update(order=order, result=result_from_transaction(reply))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            {
                "brand": "Enter your User ID and Zone ID",
                "gift": "Recipient's e-mail",
                "order": "The supplier did not accept the account details",
                "ordered": "7 Dec 2026, 08:42 WIB",
                "price": "Rp 1,495",
            },
        ),
        (
            "id",
            {
                "brand": "Masukkan User ID dan Zone ID",
                "gift": "E-mail penerima",
                "order": "Pemasok tidak menerima data akun",
                "ordered": "7 Des 2026 08.42 WIB",
                "price": "Rp 1.495",
            },
        ),
    ],
)
@pytest.mark.usefixtures("placement_deferred")  # the refused order is never placed
def test_the_changed_pages_in_each_language_at_phone_and_desktop_widths(
    live_server, page, shop, language, expected
):
    order = failed_order(shop)
    in_language(page, live_server.url, language)
    for width_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)

        page.goto(f"{live_server.url}/brands/mobile-legends/")
        text = page.locator("main").inner_text()
        assert expected["brand"] in text
        assert "Masukkan User ID &" not in text  # the provider's note stays with staff
        shoot(page, f"languages_{language}_{width_name}_brand")

        page.goto(f"{live_server.url}/brands/play-gift/")
        assert page.get_by_label(expected["gift"], exact=True).is_visible()
        shoot(page, f"languages_{language}_{width_name}_gift_card")

        page.goto(f"{live_server.url}/orders/{order.code}/?t={order.access_token}")
        text = page.locator("main").inner_text()
        assert expected["order"] in text
        assert "Transaksi Gagal" not in text
        assert re.search(re.escape(expected["ordered"]), text)
        assert expected["price"] in text
        shoot(page, f"languages_{language}_{width_name}_order")

        # no page is wider than the screen
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert not overflow
