"""Which input schema a brand gets from its name: the table, the catalog sync giving it to new
brands (against an in-test list and against the Digiflazz and FoxReload simulators), and
`assign_input_schemas` for the brands that already exist."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from catalog.brand_schemas import input_schema_for_brand, normalise_brand_name
from catalog.models import Brand, InputSchema
from providers.digiflazz.adapter import DigiflazzAdapter
from providers.foxreload.adapter import FoxReloadAdapter
from providers.sync import catalog_sync
from tests.catalog.factories import BrandFactory, ProviderFactory
from tests.catalog.test_sync import item, sync


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("MOBILE LEGENDS", InputSchema.MOBILE_LEGENDS),
        ("Mobile Legends Bang Bang", InputSchema.MOBILE_LEGENDS),
        ("Mobile Legends: Bang Bang", InputSchema.MOBILE_LEGENDS),
        ("mobile-legends", InputSchema.MOBILE_LEGENDS),
        ("MAGIC CHESS GO GO", InputSchema.GAME_WITH_ZONE),
        ("FREE FIRE", InputSchema.FREE_FIRE),
        ("Free Fire MAX", InputSchema.FREE_FIRE),
        ("PUBG Mobile", InputSchema.PUBG_MOBILE),
        ("Genshin Impact", InputSchema.GENSHIN_IMPACT),
        ("Honkai: Star Rail", InputSchema.HONKAI_STAR_RAIL),
        ("HONKAI STAR RAIL", InputSchema.HONKAI_STAR_RAIL),
        ("Valorant", InputSchema.RIOT_ID),
        ("Call of Duty Mobile", InputSchema.CALL_OF_DUTY_MOBILE),
        ("CALL OF DUTY: MOBILE", InputSchema.CALL_OF_DUTY_MOBILE),
        ("Honor of Kings", InputSchema.HONOR_OF_KINGS),
        ("Telkomsel", ""),
        ("Steam", ""),  # a gift card: the provider says what it needs
        ("", ""),
    ],
)
def test_the_table_is_keyed_by_the_normalised_brand_name(name, schema):
    assert input_schema_for_brand(name) == schema


def test_a_brand_name_is_normalised_to_its_letters_and_digits():
    assert normalise_brand_name("  Honkai: Star Rail ") == "honkaistarrail"
    assert normalise_brand_name("Pokémon UNITE") == "pokemonunite"


@pytest.mark.django_db
def test_a_sync_gives_new_brands_the_table_s_schema_over_a_generic_guess():
    provider = ProviderFactory(code="listed")

    sync(
        provider,
        [
            item("ML86", brand="MOBILE LEGENDS", input_schema=InputSchema.GAME_WITH_ZONE),
            item("GI60", brand="Genshin Impact", input_schema=InputSchema.GAME),
            item("VP475", brand="Valorant", input_schema=""),
            item("AOV", brand="Arena of Valor", input_schema=InputSchema.GAME),
            # the provider is specific (a gift card by e-mail): it wins over the table
            item("FFGIFT", brand="Free Fire", input_schema=InputSchema.EMAIL),
        ],
    )

    schemas = dict(Brand.objects.values_list("name", "input_schema"))
    assert schemas == {
        "MOBILE LEGENDS": InputSchema.MOBILE_LEGENDS,
        "Genshin Impact": InputSchema.GENSHIN_IMPACT,
        "Valorant": InputSchema.RIOT_ID,
        "Arena of Valor": InputSchema.GAME,  # not in the table: the provider's guess
        "Free Fire": InputSchema.EMAIL,
    }


@pytest.mark.django_db
def test_a_sync_fills_an_existing_brand_on_other_but_keeps_a_schema_staff_chose():
    provider = ProviderFactory(code="listed")
    unset = BrandFactory(name="PUBG Mobile", slug="pubg-mobile", input_schema=InputSchema.OTHER)
    # anything but "other" was set by someone (staff, an earlier sync): the sync keeps it
    chosen = BrandFactory(name="Valorant", slug="valorant", input_schema=InputSchema.GAME)

    sync(provider, [item("UC60", brand="PUBG Mobile"), item("VP475", brand="Valorant")])

    unset.refresh_from_db()
    chosen.refresh_from_db()
    assert unset.input_schema == InputSchema.PUBG_MOBILE
    assert chosen.input_schema == InputSchema.GAME


@pytest.mark.django_db(transaction=True)
def test_syncing_the_foxreload_simulator_gives_each_game_its_schema(live_server, settings):
    settings.FOXRELOAD_BASE_URL = live_server.url + "/sim/foxreload"
    settings.FOXRELOAD_API_KEY = "sim-foxreload-key"
    provider = ProviderFactory(code="foxreload", currency="USD", exchange_rate=Decimal("16000"))

    catalog_sync(provider=provider, adapter=FoxReloadAdapter.from_settings())

    assert dict(Brand.objects.values_list("name", "input_schema")) == {
        "PUBG Mobile": InputSchema.PUBG_MOBILE,
        "Genshin Impact": InputSchema.GENSHIN_IMPACT,
        "Valorant": InputSchema.RIOT_ID,
        "Honkai: Star Rail": InputSchema.HONKAI_STAR_RAIL,
        "Call of Duty Mobile": InputSchema.CALL_OF_DUTY_MOBILE,
    }


@pytest.mark.django_db(transaction=True)
def test_syncing_the_digiflazz_simulator_gives_each_brand_its_schema(live_server, settings):
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    provider = ProviderFactory(code="digiflazz")

    catalog_sync(provider=provider, adapter=DigiflazzAdapter.from_settings())

    assert dict(Brand.objects.values_list("name", "input_schema")) == {
        "MOBILE LEGENDS": InputSchema.MOBILE_LEGENDS,
        "FREE FIRE": InputSchema.FREE_FIRE,
        "TELKOMSEL": InputSchema.PHONE,
        "XL": InputSchema.PHONE,
        "INDOSAT": InputSchema.PHONE,
        "DANA": InputSchema.PHONE,
        "OVO": InputSchema.PHONE,
        "GO PAY": InputSchema.PHONE,
        "PLN": InputSchema.PLN,
    }


@pytest.mark.django_db
def test_assign_input_schemas_upgrades_generic_brands_and_leaves_chosen_ones(capsys):
    BrandFactory(name="MOBILE LEGENDS", slug="ml", input_schema=InputSchema.GAME_WITH_ZONE)
    BrandFactory(name="Genshin Impact", slug="gi", input_schema=InputSchema.OTHER)
    BrandFactory(name="Free Fire", slug="ff", input_schema=InputSchema.GAME)
    BrandFactory(name="Valorant", slug="vp", input_schema=InputSchema.EMAIL)  # chosen
    BrandFactory(name="Arena of Valor", slug="aov", input_schema=InputSchema.GAME)  # unknown
    before = dict(Brand.objects.values_list("slug", "input_schema"))

    call_command("assign_input_schemas", "--dry-run")

    assert dict(Brand.objects.values_list("slug", "input_schema")) == before
    assert capsys.readouterr().out.splitlines() == [
        "ml: game_zone -> mobile_legends",
        "gi: other -> genshin_impact",
        "ff: game -> free_fire",
        "Would change the input schema of 3 brand(s).",
    ]

    call_command("assign_input_schemas")
    call_command("assign_input_schemas")  # again: nothing left to change

    assert dict(Brand.objects.values_list("slug", "input_schema")) == {
        "ml": InputSchema.MOBILE_LEGENDS,
        "gi": InputSchema.GENSHIN_IMPACT,
        "ff": InputSchema.FREE_FIRE,
        "vp": InputSchema.EMAIL,
        "aov": InputSchema.GAME,
    }
    assert capsys.readouterr().out.splitlines()[-1] == "Changed the input schema of 0 brand(s)."
