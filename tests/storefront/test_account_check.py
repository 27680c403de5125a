"""The brand page's account check ("Check", and again on submit) and what it means for the
order: the name shown is the one stored, a not-found account stops the purchase, an outage
lets it go on unless the brand requires a confirmed account. Digiflazz's inquiry-pln is
faked with `responses`; the sandbox gateway is the shop's own."""

from decimal import Decimal

import pytest
import responses
from django.core import mail

from catalog.models import InputSchema
from catalog.services import catalog_reprice_all
from orders.models import Order, PaymentMethod
from orders.services.notifications import order_notify_buyer
from providers.defaults import provider_ensure
from shop.models import PriceTier
from tests.catalog.factories import BrandFactory, PricingRuleFactory, ProductFactory
from tests.storefront.support import buy

pytestmark = pytest.mark.django_db

URL = "https://api.digiflazz.com/v1/inquiry-pln"
METER = "53123456789"
CHECK_URL = "/brands/pln/check-account/"
FOUND = {
    "data": {
        "message": "Transaksi Sukses",
        "status": "Sukses",
        "rc": "00",
        "customer_no": METER,
        "meter_no": METER,
        "subscriber_id": "523300817840",
        "name": "SITI RAHAYU",
        "segment_power": "R1 /000001300",
    }
}
NOT_FOUND = {"data": {"rc": "54", "status": "Gagal", "message": "Nomor Tujuan Salah"}}


@pytest.fixture
def pln(account_checks, settings):
    settings.DIGIFLAZZ_BASE_URL = "https://api.digiflazz.com/v1"
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    brand = BrandFactory(name="PLN", slug="pln", input_schema=InputSchema.PLN)
    item = ProductFactory(
        provider=provider_ensure("digiflazz"),
        provider_sku="PLN20",
        brand=brand,
        name="PLN 20.000",
        cost=Decimal("20150"),
    )
    catalog_reprice_all()
    item.refresh_from_db()
    return brand, item


def guest_form(item, meter: str = METER, **overrides) -> dict:
    return {
        "item": item.shop_item_id,
        "meter_number": meter,
        "buyer_email": "guest@example.com",
        "payment_method": PaymentMethod.GATEWAY,
        "channel": "SANDBOX",
        **overrides,
    }


def test_the_account_fields_and_check_come_before_the_items(client, pln):
    page = client.get("/brands/pln/").content.decode()

    assert page.index('name="meter_number"') < page.index("data-account-check-button")
    assert page.index("data-account-check-button") < page.index('name="item"')
    assert f'hx-post="{CHECK_URL}"' in page
    assert f'formaction="{CHECK_URL}"' in page  # the same check without JavaScript


def test_no_check_button_for_a_brand_nobody_checks(client, pln, storefront, settings):
    settings.VIPRESELLER_API_ID = ""  # the provider that checks Mobile Legends is not set up

    assert "data-account-check-button" not in client.get("/brands/mobile-legends/").content.decode()


@responses.activate
def test_check_with_htmx_shows_the_name_and_tariff(client, pln):
    responses.post(URL, json=FOUND)

    response = client.post(CHECK_URL, {"meter_number": METER}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-account-check="found"' in html
    assert "<strong data-account-name>SITI RAHAYU</strong>" in html
    assert "R1 /000001300" in html
    assert "523300817840" in html
    assert "<html" not in html  # the result alone


@responses.activate
def test_check_without_javascript_returns_the_page_with_the_fields_as_typed(client, pln):
    responses.post(URL, json=FOUND)

    response = client.post(CHECK_URL, {"meter_number": METER})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{METER}"' in html
    assert "SITI RAHAYU" in html
    assert 'name="item"' in html  # the whole page, ready to buy


@responses.activate
def test_check_of_an_unknown_account_says_so(client, pln):
    responses.post(URL, json=NOT_FOUND, status=400)

    html = client.post(CHECK_URL, {"meter_number": METER}, HTTP_HX_REQUEST="true").content
    assert b'data-account-check="not_found"' in html
    assert b"No account was found with these details" in html


def test_check_of_a_malformed_number_names_the_mistake_and_asks_nobody(client, pln):
    with responses.RequestsMock() as fake:  # no call is registered: any call fails the test
        html = client.post(CHECK_URL, {"meter_number": "12ab"}, HTTP_HX_REQUEST="true").content
        assert len(fake.calls) == 0
    assert b'data-account-check="invalid"' in html
    assert b"digits only" in html


@responses.activate
def test_check_past_the_address_limit_is_refused(client, pln, settings):
    settings.ACCOUNT_CHECKS_PER_ADDRESS_PER_MINUTE = 1
    responses.post(URL, json=FOUND)

    client.post(CHECK_URL, {"meter_number": METER}, HTTP_HX_REQUEST="true")
    html = client.post(CHECK_URL, {"meter_number": "53123456780"}, HTTP_HX_REQUEST="true")

    assert b'data-account-check="rate_limited"' in html.content
    assert len(responses.calls) == 1


@responses.activate
def test_the_order_stores_the_name_the_shop_checked_and_shows_it(
    client, pln, django_capture_on_commit_callbacks
):
    _brand, item = pln
    responses.post(URL, json=FOUND)
    client.post(CHECK_URL, {"meter_number": METER}, HTTP_HX_REQUEST="true")

    # a name sent by the browser is no field of the form: it cannot reach the order
    response = buy(client, guest_form(item, account_name="SOMEONE ELSE"), slug="pln")

    order = Order.objects.get()
    assert response.status_code == 302
    assert order.account_name == "SITI RAHAYU"
    assert len(responses.calls) == 1  # the submit's check came from the cache
    page = client.get(response["Location"]).content.decode()
    assert "<dd data-account-name>SITI RAHAYU</dd>" in page
    with django_capture_on_commit_callbacks(execute=True):
        order_notify_buyer(order, "Your order is complete", "success")
    assert "SITI RAHAYU" in mail.outbox[-1].body


@responses.activate
def test_the_check_happens_on_submit_without_the_button(client, pln):
    _brand, item = pln
    responses.post(URL, json=FOUND)

    buy(client, guest_form(item), slug="pln")

    assert Order.objects.get().account_name == "SITI RAHAYU"
    assert len(responses.calls) == 1


@responses.activate
def test_an_unknown_account_stops_the_purchase(client, pln):
    _brand, item = pln
    responses.post(URL, json=NOT_FOUND, status=400)

    response = buy(client, guest_form(item), slug="pln")

    assert response.status_code == 400
    assert "No account was found with these details" in response.content.decode()
    assert not Order.objects.exists()


@responses.activate
def test_an_outage_lets_the_purchase_go_on_unchecked(client, pln):
    _brand, item = pln
    responses.post(URL, body="down", status=502)

    response = buy(client, guest_form(item), slug="pln")

    assert response.status_code == 302
    assert Order.objects.get().account_name == ""


@responses.activate
def test_an_outage_stops_the_purchase_when_the_brand_requires_a_confirmed_account(client, pln):
    brand, item = pln
    brand.requires_confirmed_account = True
    brand.save()
    responses.post(URL, body="down", status=502)

    response = buy(client, guest_form(item), slug="pln")

    assert response.status_code == 400
    assert "sold only to checked accounts" in response.content.decode()
    assert not Order.objects.exists()


def test_the_demo_hint_names_the_account_checks_test_numbers(client, pln, settings):
    settings.SIMULATORS_ENABLED = True

    page = client.get("/brands/pln/").content.decode()

    assert "<code>00000000000</code>: the account check finds no such account" in page
    assert "<code>123456789095</code>: the account check cannot be made" in page


def test_no_account_check_hint_for_a_brand_nobody_checks(client, settings, storefront):
    settings.SIMULATORS_ENABLED = True

    assert (
        "data-simulator-account-checks"
        not in client.get("/brands/mobile-legends/").content.decode()
    )


@responses.activate
def test_a_submit_past_the_address_limit_is_refused_with_the_wait(client, pln, settings):
    _brand, item = pln
    settings.ACCOUNT_CHECKS_PER_ADDRESS_PER_MINUTE = 1
    responses.post(URL, json=FOUND)
    client.post(CHECK_URL, {"meter_number": "53123456780"}, HTTP_HX_REQUEST="true")

    response = buy(client, guest_form(item), slug="pln")

    assert response.status_code == 400
    assert "Too many account checks. Please wait" in response.content.decode()
    assert not Order.objects.exists()
    assert len(responses.calls) == 1
