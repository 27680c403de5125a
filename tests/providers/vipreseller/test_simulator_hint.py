"""The demo shop's hint names the account-check test id (VIP Reseller's simulator) for the
game schemas it checks, and nowhere else."""

import pytest

from catalog.models import InputSchema
from providers.simulator_hints import simulator_hint
from providers.vipreseller.simulator import NOT_FOUND_TARGET


def _account_check_values(schema: str) -> list[str]:
    hint = simulator_hint(input_schema=schema, checks_accounts=True)
    return [example.value for example in hint.account_checks]


@pytest.mark.parametrize(
    "schema",
    [
        InputSchema.GAME,
        InputSchema.GAME_WITH_ZONE,
        InputSchema.MOBILE_LEGENDS,
        InputSchema.FREE_FIRE,
        InputSchema.GENSHIN_IMPACT,
    ],
)
def test_game_schemas_name_the_not_found_id(settings, schema):
    settings.SIMULATORS_ENABLED = True

    assert _account_check_values(schema)[0] == NOT_FOUND_TARGET == "404404404"


def test_a_game_whose_typed_field_is_the_user_id_also_shows_the_outage_id(settings):
    settings.SIMULATORS_ENABLED = True

    assert _account_check_values(InputSchema.FREE_FIRE) == ["404404404", "123456795"]


@pytest.mark.parametrize("schema", [InputSchema.PHONE, InputSchema.EMAIL])
def test_other_schemas_do_not(settings, schema):
    settings.SIMULATORS_ENABLED = True

    assert _account_check_values(schema) == []


def test_no_account_check_examples_when_the_brand_is_not_checked(settings):
    settings.SIMULATORS_ENABLED = True

    assert simulator_hint(input_schema=InputSchema.MOBILE_LEGENDS).account_checks == []
