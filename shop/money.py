"""Money helpers: Decimal only, two places, one field definition for every amount."""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import models
from django.utils.formats import number_format

CENT = Decimal("0.01")


def money_field(**kwargs) -> models.DecimalField:
    """Every amount of money is stored the same way (docs/catalog.md: 18 digits, 2 places)."""
    return models.DecimalField(max_digits=18, decimal_places=2, **kwargs)


# DecimalField(max_digits=18, decimal_places=2) holds less than 10^16.
MAX_AMOUNT = Decimal(10) ** 16


def is_money(amount) -> bool:
    """A finite Decimal in cents that the money fields can hold."""
    try:
        amount = Decimal(amount)
    except (ArithmeticError, TypeError, ValueError):
        return False
    return amount.is_finite() and abs(amount) < MAX_AMOUNT and amount == quantize(amount)


def quantize(amount: Decimal) -> Decimal:
    """Round to cents, half up."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def round_up_to_step(amount: Decimal, step: Decimal) -> Decimal:
    """Round up to a multiple of `step` (e.g. 100 for IDR prices); `step` 0 keeps cents."""
    if not step:
        return Decimal(amount).quantize(CENT, rounding=ROUND_CEILING)
    units = (Decimal(amount) / step).to_integral_value(rounding=ROUND_CEILING)
    return quantize(units * step)


# Currencies shown without minor units (ISO 4217 exponent 0 in practice).
WHOLE_CURRENCIES = {"IDR", "JPY", "KRW", "VND"}
SYMBOLS = {"IDR": "Rp"}


def format_money(amount, currency: str = "") -> str:
    """An amount for people, in the active language: `Rp 10,500` in English, `Rp 10.500` in
    Bahasa Indonesia, `-Rp 1,452` below zero; IDR without decimals, other currencies with
    two and their code (`12.50 USD`). `currency` defaults to SHOP_CURRENCY; empty for a
    missing or non-numeric amount. Pages use it as the `money` filter (`{% load storefront %}`),
    e-mails and notifications call it."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    if not value.is_finite():
        return ""
    currency = currency or settings.SHOP_CURRENCY
    places = 0 if currency in WHOLE_CURRENCIES else 2
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = number_format(abs(value), decimal_pos=places, use_l10n=True, force_grouping=True)
    sign = "-" if value < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol} {text}" if symbol else f"{sign}{text} {currency}"
