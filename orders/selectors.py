"""Reads about orders that views and services share."""

import hmac

from django.conf import settings
from django.urls import reverse

from orders.models import Order


def order_public_url(order: Order) -> str:
    """The order page; guests' links carry the order's unguessable access token."""
    path = reverse("orders:detail", args=[order.code])
    if order.user_id is None:
        path += f"?t={order.access_token}"
    return settings.SITE_URL.rstrip("/") + path


def order_return_url(order: Order) -> str:
    """Where the payment gateway sends the buyer back: an address without the guest's link
    token (the gateway and the shop's call log must not hold the key to a page with codes
    in clear). That page forwards the browser that checked out to the order page."""
    return settings.SITE_URL.rstrip("/") + reverse("orders:return", args=[order.code])


def order_visible_to(*, order: Order, user, token: str) -> bool:
    """Only the buyer, or whoever holds the order's link token, may see an order: its page
    shows the codes in clear. Staff are no exception; they read codes in the admin through
    the audited reveal (`reveal_voucher`, a VoucherReveal row per voucher)."""
    if user.is_authenticated and order.user_id is not None and order.user_id == user.pk:
        return True
    return bool(token) and hmac.compare_digest(token.encode(), order.access_token.encode())
