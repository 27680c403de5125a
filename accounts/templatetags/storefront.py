"""Template helpers of the storefront: money in the reader's locale."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()

# Currencies shown without minor units (ISO 4217 exponent 0 in practice).
WHOLE_CURRENCIES = {"IDR", "JPY", "KRW", "VND"}
SYMBOLS = {"IDR": "Rp"}


@register.filter
def money(amount, currency: str = "") -> str:
    """`10500.00|money:"IDR"` → "Rp 10,500" in English, "Rp 10.500" in Bahasa Indonesia;
    other currencies keep two decimals and their code. Empty for a missing amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    currency = currency or settings.SHOP_CURRENCY
    places = 0 if currency in WHOLE_CURRENCIES else 2
    text = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    symbol = SYMBOLS.get(currency)
    return f"{symbol} {text}" if symbol else f"{text} {currency}"


@register.filter
def field_of(form, name: str):
    """`form|field_of:name`: the bound field called `name` (names come from a schema)."""
    return form[name]
