"""Indonesian mobile numbers: one cleaning rule for an account field (catalog's input
schemas, "08…") and a buyer's WhatsApp number (E.164, "+628…")."""

import re

from django.utils.translation import gettext

_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


class InvalidPhone(ValueError):
    """The number is not an Indonesian mobile number; the message says why, translated."""

    @property
    def message(self) -> str:
        return str(self.args[0])


def indonesian_mobile(value: str) -> str:
    """The number as "08…": +628…/628… are rewritten, separators dropped; InvalidPhone
    (with the reason, in the active language) otherwise."""
    number = _PHONE_SEPARATORS.sub("", value)
    for international_prefix in ("+62", "62"):
        if number.startswith(international_prefix):
            number = "0" + number.removeprefix(international_prefix)
            break
    if not number.isascii() or not number.isdigit():
        raise InvalidPhone(gettext("Phone number must contain digits only."))
    if not number.startswith("08"):
        raise InvalidPhone(
            gettext("Enter an Indonesian mobile number starting with 08, +628 or 628.")
        )
    if not 10 <= len(number) <= 13:
        raise InvalidPhone(gettext("Phone number must be 10 to 13 digits long, starting with 08."))
    return number


def indonesian_mobile_e164(value: str) -> str:
    """The number in E.164 ("+628…"), what WhatsApp addresses; InvalidPhone otherwise."""
    return "+62" + indonesian_mobile(value).removeprefix("0")
