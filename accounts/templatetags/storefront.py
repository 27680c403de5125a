"""Template helpers of the storefront: money in the reader's locale."""

import segno
from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

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


@register.filter
def qr_svg(data: str) -> str:
    """`qr_string|qr_svg`: the QR code of `data` drawn on the server as inline SVG (a QRIS
    payment shows without an image request to anyone); empty for no data. Always a full QR
    code (not Micro QR), which banking and e-wallet apps scan, on a white quiet zone."""
    if not data:
        return ""
    code = segno.make_qr(str(data), error="m")
    title = _("QR code to scan with your banking or e-wallet app")
    svg = code.svg_inline(
        scale=5, border=4, light="#fff", svgclass="qr", title=title, omitsize=True
    )
    # segno writes only path data from the matrix, and escapes the title: no input reaches it raw
    return mark_safe(svg)  # noqa: S308
