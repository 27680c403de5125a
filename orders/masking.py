"""Voucher secrets (code, PIN, serial) masked wherever staff read an order's records; staff
see them only through the audited reveal (ops)."""

from orders.models import Voucher

MASK = "••••••"


def masked(value: str) -> str:
    """What staff see of a voucher's code, PIN or serial until they reveal it (audited)."""
    return MASK if value else ""


def masked_order_codes(value, *, order_code: str):
    """A copy of `value` (text, or JSON-like data) with every code, PIN and serial of the
    order's vouchers masked wherever it appears: a buyer's notification and a reseller's
    callback carry them, and staff read codes only through the audited reveal."""
    secrets = sorted(
        {
            secret
            for voucher in Voucher.objects.filter(order__code=order_code)
            for secret in (voucher.code, voucher.pin, voucher.serial)
            if secret
        },
        key=len,
        reverse=True,  # a serial that starts with the code (a PLN token) goes whole
    )
    return _mask_in(value, secrets) if secrets else value


def _mask_in(value, secrets: list[str]):
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {key: _mask_in(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_in(item, secrets) for item in value]
    return value
