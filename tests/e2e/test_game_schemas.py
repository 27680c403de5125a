"""In Chromium: a Genshin Impact page asks for the server from a list (and the server checks
the UID against it), and a wrong Riot ID is named beside its field, in English and in
Indonesian."""

from decimal import Decimal

import pytest

from catalog.models import InputSchema
from catalog.services import catalog_reprice_all
from orders.models import Order
from shop.models import PriceTier
from tests.catalog.factories import BrandFactory, PricingRuleFactory, ProductFactory
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def games(live_server, settings):
    settings.SITE_URL = live_server.url
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    genshin = BrandFactory(
        name="Genshin Impact", slug="genshin-impact", input_schema=InputSchema.GENSHIN_IMPACT
    )
    ProductFactory(brand=genshin, name="Genesis Crystals 60", cost=Decimal("16000"))
    valorant = BrandFactory(name="Valorant", slug="valorant", input_schema=InputSchema.RIOT_ID)
    ProductFactory(brand=valorant, name="Valorant 475 VP", cost=Decimal("80000"))
    catalog_reprice_all()


def in_language(page, base_url: str, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])


def submit_without_browser_checks(page) -> None:
    page.locator("form.checkout").evaluate("form => { form.noValidate = true; }")
    page.locator("form.checkout button.primary[type=submit]").click()  # "Buy now", not "Apply"
    page.wait_for_load_state()


@pytest.mark.usefixtures("games")
@pytest.mark.parametrize(
    ("language", "label", "options", "mismatch"),
    [
        (
            "en",
            "Server",
            ["Choose…", "Asia", "America", "Europe", "TW, HK, MO"],
            "This UID is on the Asia server: choose Asia, or check the UID.",
        ),
        (
            "id",
            "Server",
            ["Pilih…", "Asia", "Amerika", "Eropa", "TW, HK, MO"],
            "UID ini ada di server Asia: pilih Asia, atau periksa UID-nya.",
        ),
    ],
)
def test_the_genshin_page_asks_for_the_server_from_a_list(
    live_server, page, language, label, options, mismatch
):
    in_language(page, live_server.url, language)
    page.goto(f"{live_server.url}/brands/genshin-impact/")

    server = page.get_by_label(label, exact=True)
    assert server.evaluate("element => element.tagName") == "SELECT"
    assert server.locator("option").all_inner_texts() == options
    assert server.evaluate("element => element.required") is True

    page.get_by_label("Genesis Crystals 60").check()
    page.get_by_label("UID").fill("812345678")
    server.select_option("os_usa")
    submit_without_browser_checks(page)

    assert page.locator("#id_server ~ .error").inner_text() == mismatch
    assert page.locator("#id_server").input_value() == "os_usa"  # the choice is kept
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"game_schemas_genshin_{language}.png", full_page=True)
    assert Order.objects.count() == 0


@pytest.mark.usefixtures("games")
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The tag after # must be 3 to 5 letters or digits."),
        ("id", "Tag setelah # harus 3 sampai 5 huruf atau angka."),
    ],
)
def test_a_wrong_riot_id_is_named_beside_its_field(live_server, page, language, message):
    in_language(page, live_server.url, language)
    page.goto(f"{live_server.url}/brands/valorant/")

    page.get_by_label("Valorant 475 VP").check()
    page.get_by_label("Riot ID").fill("Player#12")
    submit_without_browser_checks(page)

    assert page.locator("#id_riot_id ~ .error").inner_text() == message
    assert page.locator("#id_riot_id").input_value() == "Player#12"
    assert Order.objects.count() == 0
