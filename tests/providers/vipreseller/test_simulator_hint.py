"""The demo shop's hint names the account-check test id (VIP Reseller's simulator) for every
schema with a user id, and nowhere else."""

import pytest

from catalog.models import InputSchema
from providers.simulator_hints import simulator_hint
from providers.vipreseller.simulator import NOT_FOUND_TARGET


@pytest.mark.parametrize("schema", [InputSchema.GAME, InputSchema.GAME_WITH_ZONE])
def test_game_schemas_name_the_not_found_id(settings, schema):
    settings.SIMULATORS_ENABLED = True
    assert simulator_hint(input_schema=schema).account_not_found == NOT_FOUND_TARGET == "404404404"


@pytest.mark.parametrize("schema", [InputSchema.PHONE, InputSchema.PLN, InputSchema.EMAIL])
def test_other_schemas_do_not(settings, schema):
    settings.SIMULATORS_ENABLED = True
    assert simulator_hint(input_schema=schema).account_not_found == ""
