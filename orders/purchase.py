"""What a buyer chose, in one object: built once at the door (the storefront form, the
reseller API) and passed as is to the order services, which check it."""

from dataclasses import dataclass
from decimal import Decimal

from catalog.models import Product, ShopItem


@dataclass(frozen=True, kw_only=True)
class Purchase:
    """One buyer's choice, not checked yet (`orders.services.creation` checks it).

    The buyer is `user` (signed in) or, for a guest, `guest_email` and/or `guest_phone`
    (a WhatsApp number, E.164). `channel` is the
    gateway's payment channel ("" = its first active one). `checkout_token` is the
    storefront form's one-time token; `shown_price` the price the buyer's page showed
    (None: not checked against one).

    `item` is the shop item bought; the order services route it (`orders.routing`).
    `product` is the older way to say it (deprecated, for reseller API callers that still
    send a `product_id`): the shop item that product is a route of is bought, through
    whichever route is best now. Give one of the two.
    `promo_code`: the code the buyer entered ("" none; at most one per order)."""

    customer_data: dict
    payment_method: str
    user: object | None = None  # the signed-in buyer (settings.AUTH_USER_MODEL)
    guest_email: str = ""
    guest_phone: str = ""
    amount: Decimal | None = None
    channel: str = ""
    checkout_token: str | None = None
    shown_price: Decimal | None = None
    item: ShopItem | None = None
    promo_code: str = ""
    product: Product | None = None  # deprecated: resolved to product.shop_item

    def shop_item(self) -> ShopItem | None:
        """The item bought: `item`, else `product`'s shop item (None: an unmapped product)."""
        if self.item is not None:
            return self.item
        return self.product.shop_item if self.product is not None else None
