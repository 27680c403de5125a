"""What the buyer types for a product, per brand `InputSchema`: fields and server-side checks.

`schema_fields` describes the fields (for forms and API docs); `validate_customer_input`
cleans what was typed into the canonical fields (`user_id`, `zone_id`, `server`, `riot_id`,
`phone`, `meter_number`, `email`, `account`) and builds the shop's own string of them
(`customer_no`, shown on orders). Each provider adapter formats the fields its own way
(docs/input-schemas.md).
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from catalog.input_schemas.fields import (
    ACCOUNT,
    EMAIL,
    METER_NUMBER,
    PHONE,
    REQUIRED,
    USER_ID,
    ZONE_ID,
    Choice,
    CustomerInput,
    FieldSpec,
    Invalid,
    Schema,
    numeric_id,
)
from catalog.input_schemas.games import (
    HOYOVERSE_SERVER,
    HOYOVERSE_SERVERS,
    ML_USER_ID,
    ML_ZONE_ID,
    RIOT_ID,
    hoyoverse_uid,
    server_of_uid,
    uid_matches_server,
)
from catalog.models import InputSchema

__all__ = [
    "HOYOVERSE_SERVERS",
    "REQUIRED",
    "Choice",
    "CustomerInput",
    "FieldSpec",
    "schema_fields",
    "schema_instructions",
    "server_of_uid",
    "validate_customer_input",
]


def _single(name: str) -> Callable[[dict[str, str]], str]:
    return lambda fields: fields[name]


def _joined(*names: str) -> Callable[[dict[str, str]], str]:
    return lambda fields: "-".join(fields[name] for name in names)


_SCHEMAS: dict[str, Schema] = {
    InputSchema.GAME: Schema((USER_ID,), _single("user_id")),
    InputSchema.GAME_WITH_ZONE: Schema((USER_ID, ZONE_ID), _joined("user_id", "zone_id")),
    InputSchema.MOBILE_LEGENDS: Schema((ML_USER_ID, ML_ZONE_ID), _joined("user_id", "zone_id")),
    InputSchema.FREE_FIRE: Schema(
        (
            numeric_id(
                gettext_noop("Player ID"),
                gettext_noop("Tap your avatar in Free Fire: the ID under your nickname."),
                6,
                12,
            ),
        ),
        _single("user_id"),
    ),
    InputSchema.PUBG_MOBILE: Schema(
        (
            numeric_id(
                gettext_noop("Character ID"),
                gettext_noop("Tap your avatar in PUBG Mobile: the ID under your name."),
                6,
                12,
            ),
        ),
        _single("user_id"),
    ),
    InputSchema.GENSHIN_IMPACT: Schema(
        (
            hoyoverse_uid(gettext_noop("Open the Paimon menu: your UID is at the bottom right.")),
            HOYOVERSE_SERVER,
        ),
        _joined("user_id", "server"),
        check=uid_matches_server,
    ),
    InputSchema.HONKAI_STAR_RAIL: Schema(
        (
            hoyoverse_uid(
                gettext_noop(
                    "Open the phone menu in Honkai: Star Rail: your UID is under your name."
                )
            ),
            HOYOVERSE_SERVER,
        ),
        _joined("user_id", "server"),
        check=uid_matches_server,
    ),
    InputSchema.RIOT_ID: Schema((RIOT_ID,), _single("riot_id")),
    InputSchema.CALL_OF_DUTY_MOBILE: Schema(
        (
            numeric_id(
                gettext_noop("Player ID (Open ID)"),
                gettext_noop("In Call of Duty Mobile open your profile: the UID under your name."),
                6,
                20,
            ),
        ),
        _single("user_id"),
    ),
    InputSchema.HONOR_OF_KINGS: Schema(
        (
            numeric_id(
                gettext_noop("Player ID"),
                gettext_noop("Tap your avatar in Honor of Kings: the ID under your name."),
                6,
                20,
            ),
        ),
        _single("user_id"),
    ),
    InputSchema.PHONE: Schema((PHONE,), _single("phone")),
    InputSchema.PLN: Schema((METER_NUMBER,), _single("meter_number")),
    InputSchema.EMAIL: Schema((EMAIL,), _single("email")),
    InputSchema.OTHER: Schema((ACCOUNT,), _single("account")),
}


# The shop's own words on how to fill in each schema, translated (a brand may write its own).
_GAME_WITH_ZONE_TEXT = gettext_lazy(
    "Enter your User ID and Zone ID: tap your profile picture in the game; the Zone ID "
    "is the number in brackets after the User ID. The top-up reaches your account "
    "within minutes."
)
_INSTRUCTIONS = {
    InputSchema.GAME: gettext_lazy(
        "Enter your User ID: it is in your game profile. The top-up reaches your account "
        "within minutes."
    ),
    InputSchema.GAME_WITH_ZONE: _GAME_WITH_ZONE_TEXT,
    InputSchema.MOBILE_LEGENDS: _GAME_WITH_ZONE_TEXT,
    InputSchema.FREE_FIRE: gettext_lazy(
        "Enter your Free Fire Player ID: tap your avatar at the top left of the lobby. "
        "The diamonds reach your account within minutes."
    ),
    InputSchema.PUBG_MOBILE: gettext_lazy(
        "Enter your PUBG Mobile Character ID: tap your avatar in the lobby. The UC reach "
        "your account within minutes."
    ),
    InputSchema.GENSHIN_IMPACT: gettext_lazy(
        "Enter your UID and choose its server: the UID is at the bottom right of the Paimon "
        "menu, and its first digit tells the server. The crystals reach your account within "
        "minutes."
    ),
    InputSchema.HONKAI_STAR_RAIL: gettext_lazy(
        "Enter your UID and choose its server: the UID is in the phone menu, and its first "
        "digit tells the server. The shards reach your account within minutes."
    ),
    InputSchema.RIOT_ID: gettext_lazy(
        "Enter your Riot ID with its tag (name#tag), exactly as the Riot client shows it. "
        "The points reach your account within minutes."
    ),
    InputSchema.CALL_OF_DUTY_MOBILE: gettext_lazy(
        "Enter your Call of Duty Mobile player ID (open ID): open your profile in the game. "
        "The CP reach your account within minutes."
    ),
    InputSchema.HONOR_OF_KINGS: gettext_lazy(
        "Enter your Honor of Kings player ID: tap your avatar in the lobby. The tokens "
        "reach your account within minutes."
    ),
    InputSchema.PHONE: gettext_lazy(
        "Enter the mobile number to top up. It is credited within minutes."
    ),
    InputSchema.PLN: gettext_lazy(
        "Enter the 11 or 12 digit meter number. The token shows on your order page and "
        "comes by e-mail; type it into your meter."
    ),
    InputSchema.EMAIL: gettext_lazy(
        "Enter the e-mail address of the person the gift card is for (your own to keep it). "
        "We e-mail them the code, and you get a copy."
    ),
    InputSchema.OTHER: gettext_lazy("Enter the account the item is delivered to."),
}


def schema_instructions(schema: str) -> str:
    """How to fill in `schema`'s fields, in the active language; "" for an unknown schema."""
    text = _INSTRUCTIONS.get(schema)
    return str(text) if text is not None else ""


def _schema(schema: str) -> Schema:
    try:
        return _SCHEMAS[schema]
    except KeyError:
        raise ValueError(f"unknown input schema {schema!r}") from None


def schema_fields(schema: str) -> list[FieldSpec]:
    """The fields a buyer fills in for `schema`, in display order; ValueError if unknown."""
    return [field.spec for field in _schema(schema).fields]


def validate_customer_input(*, schema: str, data: Mapping[str, Any]) -> CustomerInput:
    """Clean `data` for `schema`; ValueError for an unknown schema.

    Values are stripped (integers are accepted as their digits); keys that are not fields
    of the schema are ignored. Raises ValidationError({field: [message]}) naming every
    field at fault at once, in the active language.
    """
    fields: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for field in _schema(schema).fields:
        name = field.spec.name
        raw = data.get(name)
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if raw is not None and not isinstance(raw, str):
            errors[name] = [gettext("Enter a single value.")]
            continue
        value = (raw or "").strip()
        if not value:
            errors[name] = [gettext(REQUIRED)]
            continue
        try:
            fields[name] = field.clean(value)
        except Invalid as error:
            errors[name] = [str(error)]
    rules = _schema(schema)
    if not errors and rules.check is not None:
        errors = {name: [message] for name, message in rules.check(fields).items()}
    if errors:
        raise ValidationError(errors)
    return CustomerInput(fields=fields, customer_no=rules.customer_no(fields))
