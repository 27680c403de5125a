"""Template helpers of the storefront: money in the reader's locale."""

from django import template

from shop.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """`10500.00|money:"IDR"` → "Rp 10,500" in English, "Rp 10.500" in Bahasa Indonesia
    (shop.money.format_money)."""
    return format_money(amount, currency)


@register.filter
def field_of(form, name: str):
    """`form|field_of:name`: the bound field called `name` (names come from a schema)."""
    return form[name]
