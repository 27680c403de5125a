"""Money helpers: Decimal only, two places, one field definition for every amount."""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db import models

CENT = Decimal("0.01")


def money_field(**kwargs) -> models.DecimalField:
    """Every amount of money is stored the same way (DESIGN.md: 18 digits, 2 places)."""
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
