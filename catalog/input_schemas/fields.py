"""The pieces input schemas are made of: field descriptions, the cleaners, and the fields
every kind of account shares (game id, zone, phone, meter, e-mail, free text)."""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext, gettext_noop

from shop.phones import InvalidPhone, indonesian_mobile

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


class Invalid(Exception):
    """A field's value is wrong; the message (in the active language) is shown next to the
    field."""


def digits(label: str, min_length: int, max_length: int) -> Callable[[str], str]:
    def clean(value: str) -> str:
        if not value.isascii() or not value.isdigit():
            raise Invalid(
                gettext("%(label)s must contain digits only.") % {"label": gettext(label)}
            )
        if not min_length <= len(value) <= max_length:
            raise Invalid(
                gettext("%(label)s must be %(min)d to %(max)d digits long.")
                % {"label": gettext(label), "min": min_length, "max": max_length}
            )
        return value

    return clean


def _clean_phone(value: str) -> str:
    """Indonesian mobile number as "08…" (shop.phones, the rule WhatsApp numbers share)."""
    try:
        return indonesian_mobile(value)
    except InvalidPhone as exc:
        raise Invalid(exc.message) from None


_email_validator = EmailValidator()


def _clean_email(value: str) -> str:
    try:
        _email_validator(value)
    except ValidationError as error:
        raise Invalid(error.messages[0]) from None
    local_part, domain = value.rsplit("@", 1)
    return f"{local_part}@{domain.lower()}"


def _clean_account(value: str) -> str:
    if len(value) > 100:
        raise Invalid(gettext("Account must be at most 100 characters."))
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise Invalid(gettext("Account must not contain control characters."))
    return value


@dataclass(frozen=True)
class Field:
    spec: FieldSpec
    clean: Callable[[str], str]


@dataclass(frozen=True)
class Schema:
    fields: tuple[Field, ...]
    customer_no: Callable[[dict[str, str]], str]
    # Checks across fields, run once every field is valid on its own: {field: message}.
    check: Callable[[dict[str, str]], dict[str, str]] | None = None


def choice(label: str, choices: tuple[Choice, ...]) -> Callable[[str], str]:
    allowed = {choice.value for choice in choices}

    def clean(value: str) -> str:
        if value not in allowed:
            raise Invalid(
                gettext("Choose one of the listed values for %(label)s.")
                % {"label": gettext(label)}
            )
        return value

    return clean


def digits_field(name: str, label: str, help_text: str, min_length: int, max_length: int) -> Field:
    """A field of `min_length` to `max_length` digits (a player id, a zone, a meter)."""
    return Field(
        FieldSpec(
            name=name,
            label=label,
            help_text=help_text,
            input_mode="numeric",
            pattern=f"[0-9]{{{min_length},{max_length}}}",
        ),
        digits(label, min_length, max_length),
    )


def numeric_id(label: str, help_text: str, min_length: int, max_length: int) -> Field:
    """A game's numeric player id, always sent as `user_id`."""
    return digits_field("user_id", label, help_text, min_length, max_length)


# --- generic fields --------------------------------------------------------------------------

USER_ID = digits_field(
    "user_id",
    gettext_noop("User ID"),
    gettext_noop("The numeric ID shown in your game profile."),
    4,
    20,
)
ZONE_ID = digits_field(
    "zone_id",
    gettext_noop("Zone ID"),
    gettext_noop("The number in brackets after your user ID."),
    1,
    8,
)
PHONE = Field(
    FieldSpec(
        name="phone",
        label=gettext_noop("Phone number"),
        help_text=gettext_noop("An Indonesian mobile number, e.g. 0812 3456 7890."),
        input_mode="tel",
        pattern=r"\+?[0-9 .\-]{9,20}",
    ),
    _clean_phone,
)
METER_NUMBER = digits_field(
    "meter_number",
    gettext_noop("Meter number"),
    gettext_noop("The 11 or 12 digit number on your PLN meter or token receipt."),
    11,
    12,
)
EMAIL = Field(
    FieldSpec(
        name="email",
        label=gettext_noop("Recipient's e-mail"),
        help_text=gettext_noop("We e-mail the gift card to this address (your own, to keep it)."),
        input_mode="email",
    ),
    _clean_email,
)
ACCOUNT = Field(
    FieldSpec(
        name="account",
        label=gettext_noop("Account"),
        help_text=gettext_noop("The account the item is delivered to."),
        input_mode="text",
    ),
    _clean_account,
)
