"""What the buyer types for a product, per brand `InputSchema`: fields and server-side checks.

`schema_fields` describes the fields (for forms and API docs); `validate_customer_input`
cleans what was typed and builds the provider-formatted account number (`customer_no`).
"""

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from catalog.models import InputSchema
from shop.phones import InvalidPhone, indonesian_mobile

REQUIRED = gettext_noop("This field is required.")


@dataclass(frozen=True)
class FieldSpec:
    """One input field; `input_mode` and `pattern` are the HTML attributes ("" = no pattern)."""

    name: str
    label: str
    help_text: str
    input_mode: str
    pattern: str = ""


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


def _clean_phone(value: str) -> str:
    """Indonesian mobile number as "08…" (shop.phones, the rule WhatsApp numbers share)."""
    try:
        return indonesian_mobile(value)
    except InvalidPhone as exc:
        raise _Invalid(exc.message) from None


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


_USER_ID = _Field(
    FieldSpec(
        name="user_id",
        label="User ID",
        help_text="The numeric ID shown in your game profile.",
        input_mode="numeric",
        pattern="[0-9]{4,20}",
    ),
    _digits("User ID", 4, 20),
)
_ZONE_ID = _Field(
    FieldSpec(
        name="zone_id",
        label="Zone ID",
        help_text="The number in brackets after your user ID.",
        input_mode="numeric",
        pattern="[0-9]{1,8}",
    ),
    _digits("Zone ID", 1, 8),
)
_PHONE = _Field(
    FieldSpec(
        name="phone",
        label="Phone number",
        help_text="An Indonesian mobile number, e.g. 0812 3456 7890.",
        input_mode="tel",
        pattern=r"\+?[0-9 .\-]{9,20}",
    ),
    _clean_phone,
)
_METER_NUMBER = _Field(
    FieldSpec(
        name="meter_number",
        label="Meter number",
        help_text="The 11 or 12 digit number on your PLN meter or token receipt.",
        input_mode="numeric",
        pattern="[0-9]{11,12}",
    ),
    _digits("Meter number", 11, 12),
)
_EMAIL = _Field(
    FieldSpec(
        name="email",
        label="Recipient's e-mail",
        help_text="We e-mail the gift card to this address (your own, to keep it).",
        input_mode="email",
    ),
    _clean_email,
)
_ACCOUNT = _Field(
    FieldSpec(
        name="account",
        label="Account",
        help_text="The account the item is delivered to.",
        input_mode="text",
    ),
    _clean_account,
)


def _single(name: str) -> Callable[[dict[str, str]], str]:
    return lambda fields: fields[name]


_SCHEMAS: dict[str, _Schema] = {
    InputSchema.GAME: _Schema((_USER_ID,), _single("user_id")),
    InputSchema.GAME_WITH_ZONE: _Schema(
        (_USER_ID, _ZONE_ID), lambda fields: f"{fields['user_id']}-{fields['zone_id']}"
    ),
    InputSchema.PHONE: _Schema((_PHONE,), _single("phone")),
    InputSchema.PLN: _Schema((_METER_NUMBER,), _single("meter_number")),
    InputSchema.EMAIL: _Schema((_EMAIL,), _single("email")),
    InputSchema.OTHER: _Schema((_ACCOUNT,), _single("account")),
}


# The shop's own words on how to fill in each schema, translated (a brand may write its own).
_INSTRUCTIONS = {
    InputSchema.GAME: gettext_lazy(
        "Enter your User ID: it is in your game profile. The top-up reaches your account "
        "within minutes."
    ),
    InputSchema.GAME_WITH_ZONE: gettext_lazy(
        "Enter your User ID and Zone ID: tap your profile picture in the game; the Zone ID "
        "is the number in brackets after the User ID. The top-up reaches your account "
        "within minutes."
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
    if errors:
        raise ValidationError(errors)
    return CustomerInput(fields=fields, customer_no=_schema(schema).customer_no(fields))
