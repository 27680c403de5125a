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


def order_visible_to(*, order: Order, user, token: str) -> bool:
    """The buyer, staff, or whoever holds the guest link may see an order."""
    if user.is_authenticated and (user.is_staff or order.user_id == user.pk):
        return True
    return bool(token) and hmac.compare_digest(token.encode(), order.access_token.encode())
