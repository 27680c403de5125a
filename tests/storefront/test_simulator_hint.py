"""A demo shop tells buyers which account numbers make the simulated providers succeed, stay
pending or fail; a real shop (simulators off) never does."""

import re

import pytest

from catalog.input_schemas import schema_fields, validate_customer_input
from orders.models import Order
from providers.simulator_hints import simulator_hint
from tests.storefront.support import buy

pytestmark = pytest.mark.django_db


def _hint(response) -> str:
    found = re.search(r"<aside class=\"sim-hint\".*?</aside>", response.content.decode(), re.S)
    return found.group(0) if found else ""


def test_the_brand_page_shows_the_simulators_numbers_when_they_are_on(client, settings, storefront):
    settings.SIMULATORS_ENABLED = True
    settings.SIMULATOR_PENDING_SECONDS = 20

    hint = _hint(client.get("/brands/mobile-legends/"))

    # Mobile Legends: the zone id ends the account number the provider sees
    assert "Zone ID" in hint
    assert "<code>2091</code>: pending for 20 seconds, then delivered" in hint
    assert "<code>2092</code>: pending for 20 seconds, then failed and refunded" in hint
    assert "<code>2093</code>: fails at once and is refunded" in hint


def test_no_hint_on_a_real_shop(client, settings, storefront):
    settings.SIMULATORS_ENABLED = False

    page = client.get("/brands/mobile-legends/")

    assert page.status_code == 200
    assert _hint(page) == ""
    assert "2091" not in page.content.decode()


def test_the_checkout_shown_again_with_errors_keeps_the_hint(client, settings, storefront):
    settings.SIMULATORS_ENABLED = True
    _brand, ml5, _ml86 = storefront

    page = buy(client, {"item": ml5.shop_item_id, "user_id": "12345678", "zone_id": "x"})

    assert page.status_code == 400
    assert Order.objects.count() == 0
    assert "2093" in _hint(page)


def test_the_hint_speaks_indonesian(client, settings, storefront):
    settings.SIMULATORS_ENABLED = True
    settings.SIMULATOR_PENDING_SECONDS = 20
    client.cookies["django_language"] = "id"

    hint = _hint(client.get("/brands/mobile-legends/"))

    assert "<code>2091</code>: tertunda 20 detik, lalu terkirim" in hint
    assert "<code>2093</code>: langsung gagal dan dananya dikembalikan" in hint


@pytest.mark.parametrize(
    ("schema", "label", "example"),
    [
        ("genshin_impact", "UID", "800123491"),  # typed, not the server chosen from the list
        ("honkai_star_rail", "UID", "800123491"),
        ("riot_id", "Riot ID", "Player#ID91"),
        ("free_fire", "Player ID", "123456791"),
        ("pubg_mobile", "Character ID", "5123456791"),
        ("codm", "Player ID (Open ID)", "6742163591"),
        ("honor_of_kings", "Player ID", "1234567891"),
    ],
)
def test_a_game_s_hint_names_the_typed_field_with_an_example_its_checks_accept(
    settings, schema, label, example
):
    settings.SIMULATORS_ENABLED = True
    hint = simulator_hint(input_schema=schema)

    assert hint.field_label == label
    assert hint.examples[0].value == example
    typed = next(spec.name for spec in schema_fields(schema) if spec.label == label)
    data = {typed: example, "server": "os_asia"}
    assert validate_customer_input(schema=schema, data=data).fields[typed] == example


@pytest.mark.usefixtures("account_checks")
def test_the_hint_names_vip_resellers_account_check_test_id(client, settings, storefront):
    settings.SIMULATORS_ENABLED = True
    settings.VIPRESELLER_API_ID = "sim-id"
    settings.VIPRESELLER_API_KEY = "sim-key"

    hint = _hint(client.get("/brands/mobile-legends/"))

    assert "<code>404404404</code>: the account check finds no such account" in hint
