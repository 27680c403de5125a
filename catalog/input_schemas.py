"""What the buyer types for a product, per brand `InputSchema`: fields and server-side checks.

`schema_fields` describes the fields (for forms and API docs); `validate_customer_input`
cleans what was typed into the canonical fields (`user_id`, `zone_id`, `server`, `riot_id`,
`phone`, `meter_number`, `email`, `account`) and builds the shop's own string of them
(`customer_no`, shown on orders). Each provider adapter formats the fields its own way
(docs/input-schemas.md).
"""

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from catalog.models import InputSchema

REQUIRED = gettext_noop("This field is required.")


@dataclass(frozen=True)
class Choice:
    """One allowed value of a field with a fixed list (`label` in English, translated where
    it is shown)."""

    value: str
    label: str


@dataclass(frozen=True)
class FieldSpec:
    """One input field; `input_mode` and `pattern` are the HTML attributes ("" = no pattern).
    A field with `choices` is a select: only those values are accepted."""

    name: str
    label: str
    help_text: str
    input_mode: str
    pattern: str = ""
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class CustomerInput:
    """Cleaned fields, and the account number in the form the provider expects."""

    fields: dict[str, str]
    customer_no: str


class _Invalid(Exception):
    """A field's value is wrong; the message (in the active language) is shown next to the
    field."""


def _digits(label: str, min_length: int, max_length: int) -> Callable[[str], str]:
    def clean(value: str) -> str:
        if not value.isascii() or not value.isdigit():
            raise _Invalid(
                gettext("%(label)s must contain digits only.") % {"label": gettext(label)}
            )
        if not min_length <= len(value) <= max_length:
            raise _Invalid(
                gettext("%(label)s must be %(min)d to %(max)d digits long.")
                % {"label": gettext(label), "min": min_length, "max": max_length}
            )
        return value

    return clean


_PHONE_SEPARATORS = re.compile(r"[\s.\-]")


def _clean_phone(value: str) -> str:
    """Indonesian mobile number as "08…": +628…/628… are rewritten, separators dropped."""
    number = _PHONE_SEPARATORS.sub("", value)
    for international_prefix in ("+62", "62"):
        if number.startswith(international_prefix):
            number = "0" + number.removeprefix(international_prefix)
            break
    if not number.isascii() or not number.isdigit():
        raise _Invalid(gettext("Phone number must contain digits only."))
    if not number.startswith("08"):
        raise _Invalid(gettext("Enter an Indonesian mobile number starting with 08, +628 or 628."))
    if not 10 <= len(number) <= 13:
        raise _Invalid(gettext("Phone number must be 10 to 13 digits long, starting with 08."))
    return number


_email_validator = EmailValidator()


def _clean_email(value: str) -> str:
    try:
        _email_validator(value)
    except ValidationError as error:
        raise _Invalid(error.messages[0]) from None
    local_part, domain = value.rsplit("@", 1)
    return f"{local_part}@{domain.lower()}"


def _clean_account(value: str) -> str:
    if len(value) > 100:
        raise _Invalid(gettext("Account must be at most 100 characters."))
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise _Invalid(gettext("Account must not contain control characters."))
    return value


@dataclass(frozen=True)
class _Field:
    spec: FieldSpec
    clean: Callable[[str], str]


@dataclass(frozen=True)
class _Schema:
    fields: tuple[_Field, ...]
    customer_no: Callable[[dict[str, str]], str]
    # Checks across fields, run once every field is valid on its own: {field: message}.
    check: Callable[[dict[str, str]], dict[str, str]] | None = None


def _choice(label: str, choices: tuple[Choice, ...]) -> Callable[[str], str]:
    allowed = {choice.value for choice in choices}

    def clean(value: str) -> str:
        if value not in allowed:
            raise _Invalid(
                gettext("Choose one of the listed values for %(label)s.")
                % {"label": gettext(label)}
            )
        return value

    return clean


# --- generic fields --------------------------------------------------------------------------

_USER_ID = _Field(
    FieldSpec(
        name="user_id",
        label=gettext_noop("User ID"),
        help_text=gettext_noop("The numeric ID shown in your game profile."),
        input_mode="numeric",
        pattern="[0-9]{4,20}",
    ),
    _digits("User ID", 4, 20),
)
_ZONE_ID = _Field(
    FieldSpec(
        name="zone_id",
        label=gettext_noop("Zone ID"),
        help_text=gettext_noop("The number in brackets after your user ID."),
        input_mode="numeric",
        pattern="[0-9]{1,8}",
    ),
    _digits("Zone ID", 1, 8),
)
_PHONE = _Field(
    FieldSpec(
        name="phone",
        label=gettext_noop("Phone number"),
        help_text=gettext_noop("An Indonesian mobile number, e.g. 0812 3456 7890."),
        input_mode="tel",
        pattern=r"\+?[0-9 .\-]{9,20}",
    ),
    _clean_phone,
)
_METER_NUMBER = _Field(
    FieldSpec(
        name="meter_number",
        label=gettext_noop("Meter number"),
        help_text=gettext_noop("The 11 or 12 digit number on your PLN meter or token receipt."),
        input_mode="numeric",
        pattern="[0-9]{11,12}",
    ),
    _digits("Meter number", 11, 12),
)
_EMAIL = _Field(
    FieldSpec(
        name="email",
        label=gettext_noop("Recipient's e-mail"),
        help_text=gettext_noop("We e-mail the gift card to this address (your own, to keep it)."),
        input_mode="email",
    ),
    _clean_email,
)
_ACCOUNT = _Field(
    FieldSpec(
        name="account",
        label=gettext_noop("Account"),
        help_text=gettext_noop("The account the item is delivered to."),
        input_mode="text",
    ),
    _clean_account,
)


def _numeric_id(label: str, help_text: str, min_length: int, max_length: int) -> _Field:
    """A game's numeric player id, always sent as `user_id`."""
    return _Field(
        FieldSpec(
            name="user_id",
            label=label,
            help_text=help_text,
            input_mode="numeric",
            pattern=f"[0-9]{{{min_length},{max_length}}}",
        ),
        _digits(label, min_length, max_length),
    )


# --- Mobile Legends ---------------------------------------------------------------------------
# The id and the zone show together in the profile as "12345678 (1234)".

_ML_USER_ID = _numeric_id(
    gettext_noop("User ID"),
    gettext_noop("Tap your avatar in Mobile Legends: the number before the brackets."),
    5,
    12,
)
_ML_ZONE_ID = _Field(
    FieldSpec(
        name="zone_id",
        label=gettext_noop("Zone ID"),
        help_text=gettext_noop("The number in brackets after your user ID, e.g. 1234."),
        input_mode="numeric",
        pattern="[0-9]{1,6}",
    ),
    _digits("Zone ID", 1, 6),
)

# --- Genshin Impact and Honkai: Star Rail -------------------------------------------------
# HoYoverse's global servers; a UID's leading digits name its server (the digits before the
# last eight: 6 America, 7 Europe, 8 and, for newer Genshin accounts, 18 Asia, 9 TW/HK/MO;
# 1, 2, 3 and 5 are mainland China). The values are Genshin's own region names, which VIP
# Reseller's get-nickname also takes (docs/input-schemas.md).

SERVER_ASIA, SERVER_AMERICA, SERVER_EUROPE, SERVER_TW_HK_MO = (
    "os_asia",
    "os_usa",
    "os_euro",
    "os_cht",
)
HOYOVERSE_SERVERS = (
    Choice(SERVER_ASIA, gettext_noop("Asia")),
    Choice(SERVER_AMERICA, gettext_noop("America")),
    Choice(SERVER_EUROPE, gettext_noop("Europe")),
    Choice(SERVER_TW_HK_MO, gettext_noop("TW, HK, MO")),
)
_SERVER_BY_UID_PREFIX = {
    "6": SERVER_AMERICA,
    "7": SERVER_EUROPE,
    "8": SERVER_ASIA,
    "18": SERVER_ASIA,
    "9": SERVER_TW_HK_MO,
}
_MAINLAND_UID_PREFIXES = frozenset({"1", "2", "3", "5"})


def server_of_uid(uid: str) -> str:
    """The global server a HoYoverse UID belongs to ("" when its digits name none)."""
    return _SERVER_BY_UID_PREFIX.get(uid[:-8], "")


def _hoyoverse_uid(help_text: str) -> _Field:
    label = gettext_noop("UID")
    digits = _digits(label, 9, 10)

    def clean(value: str) -> str:
        uid = digits(value)
        if uid[:-8] in _MAINLAND_UID_PREFIXES:
            raise _Invalid(
                gettext(
                    "This UID is on a mainland China server; we can only top up the global "
                    "servers (Asia, America, Europe, TW, HK, MO)."
                )
            )
        if not server_of_uid(uid):
            raise _Invalid(gettext("This is not a UID of a global server. Check the UID."))
        return uid

    return _Field(
        FieldSpec(
            name="user_id",
            label=label,
            help_text=help_text,
            input_mode="numeric",
            pattern="[0-9]{9,10}",
        ),
        clean,
    )


_SERVER_LABEL = gettext_noop("Server")
_HOYOVERSE_SERVER = _Field(
    FieldSpec(
        name="server",
        label=_SERVER_LABEL,
        help_text=gettext_noop(
            "The server of your UID: 6… America, 7… Europe, 8… or 18… Asia, 9… TW, HK, MO."
        ),
        input_mode="text",
        choices=HOYOVERSE_SERVERS,
    ),
    _choice(_SERVER_LABEL, HOYOVERSE_SERVERS),
)


def _uid_matches_server(fields: dict[str, str]) -> dict[str, str]:
    expected = server_of_uid(fields["user_id"])
    if expected == fields["server"]:
        return {}
    label = next(choice.label for choice in HOYOVERSE_SERVERS if choice.value == expected)
    return {
        "server": gettext(
            "This UID is on the %(server)s server: choose %(server)s, or check the UID."
        )
        % {"server": gettext(label)}
    }


# --- Riot ID (Valorant) -----------------------------------------------------------------------
# Riot: a game name of 3-16 letters or digits (spaces allowed inside), "#", a tagline of 3-5
# letters or digits (docs/input-schemas.md has the source).

RIOT_NAME_LENGTH = (3, 16)
RIOT_TAG_LENGTH = (3, 5)


def _clean_riot_id(value: str) -> str:
    name, hash_sign, tag = value.partition("#")
    name, tag = name.strip(), tag.strip()
    if not hash_sign or "#" in tag:
        raise _Invalid(gettext("Enter your Riot ID as name#tag, e.g. Player#1234."))
    if not RIOT_NAME_LENGTH[0] <= len(name) <= RIOT_NAME_LENGTH[1] or not all(
        char.isalnum() or char == " " for char in name
    ):
        raise _Invalid(
            gettext("The name before # must be 3 to 16 letters or digits (spaces allowed).")
        )
    if not RIOT_TAG_LENGTH[0] <= len(tag) <= RIOT_TAG_LENGTH[1] or not tag.isalnum():
        raise _Invalid(gettext("The tag after # must be 3 to 5 letters or digits."))
    return f"{name}#{tag}"


_RIOT_ID = _Field(
    FieldSpec(
        name="riot_id",
        label=gettext_noop("Riot ID"),
        help_text=gettext_noop(
            "Your Riot ID with its tag, as the Riot client shows it, e.g. Player#1234."
        ),
        input_mode="text",
        pattern="[^#]{3,18}#[^#]{3,7}",
    ),
    _clean_riot_id,
)


def _single(name: str) -> Callable[[dict[str, str]], str]:
    return lambda fields: fields[name]


def _joined(*names: str) -> Callable[[dict[str, str]], str]:
    return lambda fields: "-".join(fields[name] for name in names)


_SCHEMAS: dict[str, _Schema] = {
    InputSchema.GAME: _Schema((_USER_ID,), _single("user_id")),
    InputSchema.GAME_WITH_ZONE: _Schema((_USER_ID, _ZONE_ID), _joined("user_id", "zone_id")),
    InputSchema.MOBILE_LEGENDS: _Schema((_ML_USER_ID, _ML_ZONE_ID), _joined("user_id", "zone_id")),
    InputSchema.FREE_FIRE: _Schema(
        (
            _numeric_id(
                gettext_noop("Player ID"),
                gettext_noop("Tap your avatar in Free Fire: the ID under your nickname."),
                6,
                12,
            ),
        ),
        _single("user_id"),
    ),
    InputSchema.PUBG_MOBILE: _Schema(
        (
            _numeric_id(
                gettext_noop("Character ID"),
                gettext_noop("Tap your avatar in PUBG Mobile: the ID under your name."),
                6,
                12,
            ),
        ),
        _single("user_id"),
    ),
    InputSchema.GENSHIN_IMPACT: _Schema(
        (
            _hoyoverse_uid(gettext_noop("Open the Paimon menu: your UID is at the bottom right.")),
            _HOYOVERSE_SERVER,
        ),
        _joined("user_id", "server"),
        check=_uid_matches_server,
    ),
    InputSchema.HONKAI_STAR_RAIL: _Schema(
        (
            _hoyoverse_uid(
                gettext_noop(
                    "Open the phone menu in Honkai: Star Rail: your UID is under your name."
                )
            ),
            _HOYOVERSE_SERVER,
        ),
        _joined("user_id", "server"),
        check=_uid_matches_server,
    ),
    InputSchema.RIOT_ID: _Schema((_RIOT_ID,), _single("riot_id")),
    InputSchema.CALL_OF_DUTY_MOBILE: _Schema(
        (
            _numeric_id(
                gettext_noop("Player ID (Open ID)"),
                gettext_noop("In Call of Duty Mobile open your profile: the UID under your name."),
                6,
                20,
            ),
        ),
        _single("user_id"),
    ),
    InputSchema.HONOR_OF_KINGS: _Schema(
        (
            _numeric_id(
                gettext_noop("Player ID"),
                gettext_noop("Tap your avatar in Honor of Kings: the ID under your name."),
                6,
                20,
            ),
        ),
        _single("user_id"),
    ),
    InputSchema.PHONE: _Schema((_PHONE,), _single("phone")),
    InputSchema.PLN: _Schema((_METER_NUMBER,), _single("meter_number")),
    InputSchema.EMAIL: _Schema((_EMAIL,), _single("email")),
    InputSchema.OTHER: _Schema((_ACCOUNT,), _single("account")),
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


def _schema(schema: str) -> _Schema:
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
        except _Invalid as error:
            errors[name] = [str(error)]
    rules = _schema(schema)
    if not errors and rules.check is not None:
        errors = {name: [message] for name, message in rules.check(fields).items()}
    if errors:
        raise ValidationError(errors)
    return CustomerInput(fields=fields, customer_no=rules.customer_no(fields))
