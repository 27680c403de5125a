"""Orders' side of promotions (`promotions` reads no orders; orders give it plain values).

Three hooks, each called from one place of the order services:
- `order_promotion_quote` when an order is priced (`creation._order_draft`): the buyer's
  price with their promo code or the item's flash sale; a code that does not apply
  refuses the order (`promo_code_refused`, the reason in `extra["reason"]`).
- `order_promotion_claim` in the transaction that pays the order (after the wallet
  debit), or that creates a gateway order (held while it awaits payment).
- `order_promotion_released`, on `orders.signals.order_transitioned`: a refunded, expired
  or cancelled order gives its use back, once.
`order_promotion_discount` is what the `promotions` ledger account pays into the order's
gateway payment or later wallet debit.
"""

from decimal import Decimal

from catalog.models import Brand, ShopItem
from catalog.services.items import ItemQuote, catalog_item_price_for
from orders.models import Order, OrderStatus
from orders.purchase import Purchase
from orders.routing import item_with_routes
from promotions.models import FlashSale
from promotions.selectors import flash_sales_active, promotion_use_for_order
from promotions.services import (
    PricedItem,
    PromotionQuote,
    buyer_key_for,
    promotion_claim,
    promotion_quote,
    promotion_refused,
    promotion_release,
)
from shop.errors import ApplicationError
from shop.models import PriceTier

# An order that ends in one of these gives its promotion back.
RELEASING_STATUSES = frozenset({OrderStatus.REFUNDED, OrderStatus.EXPIRED, OrderStatus.CANCELLED})


def order_priced_item(
    *, item: ShopItem, tier: str, quote: ItemQuote, with_category: bool = True
) -> PricedItem:
    """The plain values a promotion prices: the shop item, its brand and category (the
    item's, else its brand's; only `with_category`: a code's scope needs it, a flash sale
    does not), the tier, the list price, the cost the floor holds against (the dearest
    route that may be used, so a failover never sells below cost) and the pricing rule's
    minimum margin."""
    category_id = None
    if with_category:
        category_id = item.category_id or item.brand.category_id
    return PricedItem(
        item_id=item.pk,
        brand_id=item.brand_id,
        category_id=category_id,
        tier=tier,
        list_price=quote.price,
        cost=quote.floor_cost,
        min_margin=getattr(quote.rule, "min_margin", None) or Decimal("0"),
        fixed_price=not item.is_flexible,
    )


def _buyer_key(purchase: Purchase) -> str:
    user = purchase.user
    return buyer_key_for(
        user_id=user.pk if user is not None else None,
        guest_email=purchase.guest_email,
        guest_phone=purchase.guest_phone,
    )


def _buyer_has_orders(purchase: Purchase, *, besides: Order | None = None) -> bool:
    """Has this buyer an order that was paid, other than `besides` (a first-order-only
    code is refused then)?"""
    paid = Order.objects.filter(paid_at__isnull=False)
    if besides is not None:
        paid = paid.exclude(pk=besides.pk)
    if purchase.user is not None:
        return paid.filter(user=purchase.user).exists()
    contacts = [c for c in (purchase.guest_email, purchase.guest_phone) if c]
    if purchase.guest_email and paid.filter(guest_email__iexact=purchase.guest_email).exists():
        return True
    return bool(contacts) and paid.filter(guest_phone__in=contacts).exists()


def order_promotion_quote(
    *, purchase: Purchase, item: ShopItem, tier: str, quote: ItemQuote
) -> PromotionQuote:
    """The buyer's price for a priced item (see the module); refuses a code that does not
    apply (ApplicationError `promo_code_refused`)."""
    code = purchase.promo_code
    promo = promotion_quote(
        priced=order_priced_item(item=item, tier=tier, quote=quote, with_category=bool(code)),
        code=code,
        buyer_key=_buyer_key(purchase),
        buyer_has_orders=bool(code) and _buyer_has_orders(purchase),
    )
    if promo.refusal is not None:
        raise promotion_refused(promo.refusal)
    return promo


def order_promotion_claim(
    *, order: Order, purchase: Purchase, promotion: PromotionQuote, tier: str, quote: ItemQuote
) -> None:
    """Hold `promotion` for the new `order`, in the caller's transaction (nothing without a
    discount); a refusal (used up, sold out since the quote) rolls it all back."""
    if not promotion.applies:
        return
    promotion_claim(
        order_id=order.pk,
        quote=promotion,
        priced=order_priced_item(
            item=order.shop_item,
            tier=tier,
            quote=quote,
            with_category=promotion.promo_code is not None,
        ),
        buyer_key=_buyer_key(purchase),
        buyer_has_orders=promotion.promo_code is not None
        and _buyer_has_orders(purchase, besides=order),
    )


def order_promotion_discount(order: Order) -> Decimal:
    """The discount of the promotion `order` holds (0 when none)."""
    use = promotion_use_for_order(order_id=order.pk)
    return use.discount if use is not None else Decimal("0")


def order_promotion_released(*, order: Order, from_status: str, **signal_kwargs) -> None:
    """Receiver of `order_transitioned`: a refunded, expired or cancelled order gives its
    promotion use back (at most once: `promotion_release`)."""
    if order.status in RELEASING_STATUSES:
        promotion_release(order_id=order.pk, reason=str(order.status))


def order_promotion_preview(
    *,
    item: ShopItem,
    user,
    code: str,
    amount: Decimal | None = None,
    guest_email: str = "",
    guest_phone: str = "",
) -> PromotionQuote:
    """What the checkout's "Apply" shows before paying: `item`'s price for this buyer with
    `code` (the same quote the order will take). Refuses like the order would:
    `not_for_sale`, `promo_code_refused`."""
    tier = user.price_tier if user is not None else PriceTier.RETAIL
    item = item_with_routes(item)
    quote = catalog_item_price_for(item=item, tier=tier, amount=amount)
    if not quote.for_sale:
        raise ApplicationError("This item is not for sale right now.", code="not_for_sale")
    purchase = Purchase(
        item=item,
        customer_data={},
        payment_method="",
        user=user,
        guest_email=guest_email,
        guest_phone=guest_phone,
        amount=amount,
        promo_code=code,
    )
    return order_promotion_quote(purchase=purchase, item=item, tier=tier, quote=quote)


def brand_flash_sales(brand: Brand) -> list[FlashSale]:
    """The flash sales running now on the items of `brand`, with stock left (the brand
    page's panel: fresh on every view, beside the cached page)."""
    return list(flash_sales_active().filter(item__brand=brand))
