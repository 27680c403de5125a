"""The one-time token of the brand page's checkout form.

Each view of the form gets a fresh random token; the order it makes stores the random part
in `Order.checkout_token` (unique), so the same form sent twice makes one order. The token
is signed for the browser it was shown to (its CSRF secret, which changes at log-in): a
token copied into another browser is refused like a garbled one, and so never leads there
to the order it made.
"""

import secrets

from django.core import signing
from django.middleware.csrf import get_token

SALT = "orders.checkout-token"


def _signer(request) -> signing.Signer:
    return signing.Signer(salt=f"{SALT}:{request.META.get('CSRF_COOKIE', '')}")


def checkout_token_issue(*, request) -> str:
    """A new token for one view of the checkout form in this browser."""
    get_token(request)  # the browser's CSRF secret, set now if it has none yet
    return _signer(request).sign(secrets.token_urlsafe(24))


def checkout_token_read(*, request, token: str) -> str | None:
    """The token's random part (what the order stores) when it was issued to this browser;
    None when it is missing, garbled or another browser's."""
    if not token or not request.META.get("CSRF_COOKIE"):
        return None
    try:
        return _signer(request).unsign(token)
    except signing.BadSignature:
        return None
