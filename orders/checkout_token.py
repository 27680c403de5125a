"""The one-time token of the brand page's checkout form.

Each view of the form gets a fresh random token; the order it makes stores the random part
in `Order.checkout_token` (unique), so the same form sent twice makes one order. The token
is signed for the browser it was shown to (its CSRF secret, which changes at log-in): a
token copied into another browser is refused like a garbled one, and so never leads there
to the order it made. It also carries the prices the page showed, so an order is never
charged at a price the buyer did not see (see `_order_draft`'s `shown_price`).
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core import signing
from django.middleware.csrf import get_token

SALT = "orders.checkout-token"


@dataclass(frozen=True)
class CheckoutToken:
    value: str  # the random part, what the order stores
    prices: dict[int, Decimal]  # shop item id -> the price the page showed


def _signer(request) -> signing.Signer:
    return signing.Signer(salt=f"{SALT}:{request.META.get('CSRF_COOKIE', '')}")


def checkout_token_issue(*, request, prices: Mapping[int, Decimal]) -> str:
    """A new token for one view of the checkout form in this browser, with the prices of
    its fixed-price items as shown ({product id: price})."""
    get_token(request)  # the browser's CSRF secret, set now if it has none yet
    shown = {str(pk): str(price) for pk, price in prices.items()}
    return _signer(request).sign_object({"t": secrets.token_urlsafe(24), "p": shown})


def checkout_token_read(*, request, token: str) -> CheckoutToken | None:
    """The token when it was issued to this browser; None when it is missing, garbled or
    another browser's."""
    if not token or not request.META.get("CSRF_COOKIE"):
        return None
    try:
        payload = _signer(request).unsign_object(token)
        return CheckoutToken(
            value=payload["t"],
            prices={int(pk): Decimal(price) for pk, price in payload["p"].items()},
        )
    except (signing.BadSignature, ValueError, KeyError, TypeError, InvalidOperation):
        return None
