"""What a buyer can type on a demo shop to see each simulated outcome (the brand page's hint).

Shown only while SIMULATORS_ENABLED is on, never in production. The numbers come from the
simulators' own table (`providers.simulators.SCENARIO_BY_SUFFIX`), so the hint cannot drift
from what the simulators do.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.input_schemas import schema_fields
from catalog.models import InputSchema
from providers.digiflazz.simulator import SELLER_DOWN_SUFFIX, UNKNOWN_METER
from providers.simulators import SCENARIO_BY_SUFFIX, Scenario
from providers.vipreseller.simulator import NOT_FOUND_TARGET

# A value of the field that decides the outcome (the last one of the account number), to which
# the scenario's two digits are appended.
_EXAMPLE_STEM = {
    InputSchema.GAME: "123456",
    InputSchema.GAME_WITH_ZONE: "20",
    InputSchema.MOBILE_LEGENDS: "20",
    InputSchema.FREE_FIRE: "1234567",
    InputSchema.PUBG_MOBILE: "51234567",
    InputSchema.GENSHIN_IMPACT: "8001234",  # an Asia UID: choose Asia
    InputSchema.HONKAI_STAR_RAIL: "8001234",
    InputSchema.RIOT_ID: "Player#ID",
    InputSchema.CALL_OF_DUTY_MOBILE: "67421635",
    InputSchema.HONOR_OF_KINGS: "12345678",
    InputSchema.PHONE: "0812345678",
    InputSchema.PLN: "1234567890",
    InputSchema.EMAIL: "buyer",
    InputSchema.OTHER: "demo",
}
_SHOWN_SCENARIOS = (Scenario.PENDING_SUCCESS, Scenario.PENDING_FAILURE, Scenario.FAILURE)
# The account check's test numbers per schema, as its simulator answers them (Digiflazz's
# inquiry-pln; a provider with a game lookup adds its schemas): (the number nobody has, the
# ending whose check cannot be made).
_ACCOUNT_CHECK_EXAMPLES = {
    InputSchema.PLN: (UNKNOWN_METER, "95"),
    # VIP Reseller's get-nickname, for the games whose typed field is the user id it checks
    **dict.fromkeys(
        (
            InputSchema.GAME,
            InputSchema.FREE_FIRE,
            InputSchema.PUBG_MOBILE,
            InputSchema.GENSHIN_IMPACT,
            InputSchema.CALL_OF_DUTY_MOBILE,
        ),
        (NOT_FOUND_TARGET, "95"),
    ),
    # the zone's schemas end the account number with the zone: no outage example to show
    InputSchema.MOBILE_LEGENDS: (NOT_FOUND_TARGET, ""),
    InputSchema.GAME_WITH_ZONE: (NOT_FOUND_TARGET, ""),
}


@dataclass(frozen=True)
class SimulatorExample:
    value: str
    outcome: str


@dataclass(frozen=True)
class SimulatorHint:
    field_label: str
    examples: list[SimulatorExample]
    # What the account check ("Check") answers in the demo; empty without a check.
    account_checks: list[SimulatorExample] = field(default_factory=list)


def _outcome(scenario: Scenario) -> str:
    seconds = settings.SIMULATOR_PENDING_SECONDS
    if scenario == Scenario.PENDING_SUCCESS:
        return ngettext(
            "pending for %(seconds)d second, then delivered",
            "pending for %(seconds)d seconds, then delivered",
            seconds,
        ) % {"seconds": seconds}
    if scenario == Scenario.PENDING_FAILURE:
        return ngettext(
            "pending for %(seconds)d second, then failed and refunded",
            "pending for %(seconds)d seconds, then failed and refunded",
            seconds,
        ) % {"seconds": seconds}
    return _("fails at once and is refunded")


def _example(schema: str, suffix: str) -> str:
    stem = _EXAMPLE_STEM.get(schema, "")
    if schema == InputSchema.EMAIL:
        return f"{stem}{suffix}@example.com"
    return f"{stem}{suffix}"


def _account_check_examples(schema: str) -> list[SimulatorExample]:
    if schema not in _ACCOUNT_CHECK_EXAMPLES:
        return []
    not_found, outage_ending = _ACCOUNT_CHECK_EXAMPLES[schema]
    examples = [
        SimulatorExample(value=not_found, outcome=_("the account check finds no such account"))
    ]
    if outage_ending:
        examples.append(
            SimulatorExample(
                value=_example(schema, outage_ending),
                outcome=_("the account check cannot be made (the sale may go on)"),
            )
        )
    return examples


def simulator_hint(*, input_schema: str, checks_accounts: bool = False) -> SimulatorHint | None:
    """The examples for a brand whose buyers type `input_schema` (and what its account check
    answers, when `checks_accounts`); None when the simulators are off (a real shop) or the
    schema is unknown."""
    if not settings.SIMULATORS_ENABLED or input_schema not in _EXAMPLE_STEM:
        return None
    suffix_of = {scenario: suffix for suffix, scenario in SCENARIO_BY_SUFFIX.items()}
    # the last field typed (not chosen from a list) ends the account number
    deciding_field = [spec for spec in schema_fields(input_schema) if not spec.choices][-1]
    return SimulatorHint(
        field_label=_(deciding_field.label),
        examples=[
            SimulatorExample(
                value=_example(input_schema, suffix_of[scenario]), outcome=_outcome(scenario)
            )
            for scenario in _SHOWN_SCENARIOS
        ]
        + [
            # Digiflazz's simulator alone fails it (a final rc): the failover demo
            SimulatorExample(
                value=_example(input_schema, SELLER_DOWN_SUFFIX),
                outcome=_(
                    "fails at the first supplier only: placed again at another supplier "
                    "of the item if it has one, else refunded"
                ),
            )
        ],
        account_checks=_account_check_examples(input_schema) if checks_accounts else [],
    )
