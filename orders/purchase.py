"""What a buyer chose, in one object: built once at the door (the storefront form, the
reseller API) and passed as is to the order services, which check it."""

from dataclasses import dataclass
from decimal import Decimal

from catalog.models import Product


@dataclass(frozen=True, kw_only=True)
class Purchase:
    """One buyer's choice, not checked yet (`orders.services.creation` checks it).

    The buyer is `user` (signed in) or, for a guest, `guest_email` and/or `guest_phone`
    (a WhatsApp number, E.164). `channel` is the
    gateway's payment channel ("" = its first active one). `checkout_token` is the
    storefront form's one-time token; `shown_price` the price the buyer's page showed
    (None: not checked against one). `promo_code`: the code the buyer entered ("" none;
    at most one per order)."""

    product: Product
    customer_data: dict
    payment_method: str
    user: object | None = None  # the signed-in buyer (settings.AUTH_USER_MODEL)
    guest_email: str = ""
    guest_phone: str = ""
    amount: Decimal | None = None
    channel: str = ""
    checkout_token: str | None = None
    shown_price: Decimal | None = None
    promo_code: str = ""
