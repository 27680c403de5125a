"""What a buyer can type on a demo shop to see each simulated outcome (the brand page's hint).

Shown only while SIMULATORS_ENABLED is on, never in production. The numbers come from the
simulators' own table (`providers.simulators.SCENARIO_BY_SUFFIX`), so the hint cannot drift
from what the simulators do.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.input_schemas import schema_fields
from catalog.models import InputSchema
from providers.simulators import SCENARIO_BY_SUFFIX, Scenario
from providers.vipreseller.simulator import NOT_FOUND_TARGET

# A value of the field that decides the outcome (the last one of the account number), to which
# the scenario's two digits are appended.
_EXAMPLE_STEM = {
    InputSchema.GAME: "123456",
    InputSchema.GAME_WITH_ZONE: "20",
    InputSchema.PHONE: "0812345678",
    InputSchema.PLN: "1234567890",
    InputSchema.EMAIL: "buyer",
    InputSchema.OTHER: "demo",
}
_SHOWN_SCENARIOS = (Scenario.PENDING_SUCCESS, Scenario.PENDING_FAILURE, Scenario.FAILURE)


@dataclass(frozen=True)
class SimulatorExample:
    value: str
    outcome: str


@dataclass(frozen=True)
class SimulatorHint:
    field_label: str
    examples: list[SimulatorExample]
    # The user id the simulated account check (VIP Reseller's get-nickname) does not find;
    # "" for a schema without a user id.
    account_not_found: str = ""


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


def simulator_hint(*, input_schema: str) -> SimulatorHint | None:
    """The examples for a brand whose buyers type `input_schema`; None when the simulators
    are off (a real shop) or the schema is unknown."""
    if not settings.SIMULATORS_ENABLED or input_schema not in _EXAMPLE_STEM:
        return None
    suffix_of = {scenario: suffix for suffix, scenario in SCENARIO_BY_SUFFIX.items()}
    fields = schema_fields(input_schema)
    deciding_field = fields[-1]
    has_user_id = any(field.name == "user_id" for field in fields)
    return SimulatorHint(
        field_label=_(deciding_field.label),
        examples=[
            SimulatorExample(
                value=_example(input_schema, suffix_of[scenario]), outcome=_outcome(scenario)
            )
            for scenario in _SHOWN_SCENARIOS
        ],
        account_not_found=NOT_FOUND_TARGET if has_user_id else "",
    )
