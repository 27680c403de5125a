"""Promotions at work: quote a buyer's price, claim a use with the order's payment, give
it back once.

Guarantees:
- `promotion_quote` reads only; it never refuses the order itself, it says why a code
  does not apply (`PromotionQuote.refusal`, one of `Refusal`).
- `promotion_claim` runs inside the caller's transaction (the one that pays the order, or
  creates a gateway order that then awaits payment). It locks the promo code's row
  (`SELECT ... FOR UPDATE`) or takes a flash sale's stock with one conditional UPDATE
  (`sold < stock`), so on PostgreSQL no code is used more than `total_limit` times (nor
  more than `per_buyer_limit` times by one buyer) and no flash sale sells more than its
  stock, whatever the concurrency. A refusal raises ApplicationError and the caller's
  whole transaction (the order and its payment) rolls back.
- `promotion_release` gives an order's use back at most once (the use row is locked and
  marked; the counter goes down only when this call marked it).
- Lock order: the callers claim after the order's wallet debit and release after its
  refund, so the wallet rows are always locked before a promotion's row (no deadlock).
"""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from promotions.models import DiscountKind, FlashSale, PromoCode, PromoScope, PromotionUse
from shop.errors import ApplicationError
from shop.money import CENT, quantize


class Refusal(StrEnum):
    """Why a code does not apply (the API's `details.reason`)."""

    UNKNOWN = "unknown"
    PAUSED = "paused"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    USED_UP = "used_up"
    BUYER_LIMIT = "buyer_limit"
    NOT_FOR_ITEM = "not_for_item"
    NOT_FOR_TIER = "not_for_tier"
    MINIMUM_NOT_MET = "minimum_not_met"
    FIRST_ORDER_ONLY = "first_order_only"
    BELOW_MARGIN = "below_margin"
    FLASH_SALE = "flash_sale"
    SOLD_OUT = "sold_out"
    CHANGED = "changed"


# The buyer's words for each refusal (translated where shown: locale/id).
REFUSAL_MESSAGES = {
    Refusal.UNKNOWN: gettext_noop("This promo code does not exist."),
    Refusal.PAUSED: gettext_noop("This promo code is paused."),
    Refusal.NOT_STARTED: gettext_noop("This promo code is not valid yet."),
    Refusal.EXPIRED: gettext_noop("This promo code has expired."),
    Refusal.USED_UP: gettext_noop("This promo code has been used up."),
    Refusal.BUYER_LIMIT: gettext_noop("You have already used this promo code."),
    Refusal.NOT_FOR_ITEM: gettext_noop("This promo code is not for this item."),
    Refusal.NOT_FOR_TIER: gettext_noop("This promo code is not for your account type."),
    Refusal.MINIMUM_NOT_MET: gettext_noop("The minimum purchase for this promo code is not met."),
    Refusal.FIRST_ORDER_ONLY: gettext_noop("This promo code is for a first order only."),
    Refusal.BELOW_MARGIN: gettext_noop("This promo code cannot be used on this item."),
    Refusal.FLASH_SALE: gettext_noop(
        "This item is on flash sale already; promo codes do not apply to it."
    ),
    Refusal.SOLD_OUT: gettext_noop(
        "The flash sale has just sold out. Please check the price and order again."
    ),
    Refusal.CHANGED: gettext_noop(
        "This promotion has just changed. Please check the price and order again."
    ),
}


@dataclass(frozen=True, kw_only=True)
class PricedItem:
    """What a promotion needs to know of the item being bought (plain values: the
    promotions app does not read orders)."""

    item_id: int | None
    brand_id: int | None
    category_id: int | None
    tier: str
    list_price: Decimal
    cost: Decimal
    min_margin: Decimal = Decimal("0")
    fixed_price: bool = True  # a flexible item's price follows the amount: no flash sale


@dataclass(frozen=True, kw_only=True)
class PromotionQuote:
    """The buyer's price: `list_price - discount`, from `promo_code` or `flash_sale` (at
    most one); `refusal` says why the code given does not apply (None: it does, or none
    was given)."""

    list_price: Decimal
    discount: Decimal = Decimal("0")
    promo_code: PromoCode | None = None
    flash_sale: FlashSale | None = None
    refusal: Refusal | None = None

    @property
    def price(self) -> Decimal:
        return self.list_price - self.discount

    @property
    def applies(self) -> bool:
        return self.discount > 0

    @property
    def refusal_message(self) -> str:
        return REFUSAL_MESSAGES[self.refusal] if self.refusal else ""


def buyer_key_for(*, user_id: int | None, guest_email: str = "", guest_phone: str = "") -> str:
    """Who a use counts against for per-buyer limits: the signed-in buyer, else the guest's
    e-mail or WhatsApp number."""
    if user_id is not None:
        return f"user:{user_id}"
    return f"guest:{(guest_email or guest_phone).strip().lower()}"


def promotion_quote(
    *,
    priced: PricedItem,
    code: str = "",
    buyer_key: str = "",
    buyer_has_orders: bool = False,
    now=None,
) -> PromotionQuote:
    """The buyer's price for `priced`: with `code`, that code's discount or why it does not
    apply; without, the item's running flash sale (with stock left and within the margin
    floor), else the list price. Reads only."""
    now = now or timezone.now()
    code = (code or "").strip().upper()
    sale = _running_flash_sale(priced, now=now)
    if not code:
        if sale is None:
            return PromotionQuote(list_price=priced.list_price)
        return PromotionQuote(
            list_price=priced.list_price,
            discount=priced.list_price - sale.price_for(priced.tier),
            flash_sale=sale,
        )
    promo = PromoCode.objects.filter(code=code).select_related("item").first()
    refusal = _code_refusal(
        promo, priced=priced, buyer_key=buyer_key, buyer_has_orders=buyer_has_orders, now=now
    )
    if refusal is None and sale is not None:
        refusal = Refusal.FLASH_SALE
    if refusal is not None:
        return PromotionQuote(list_price=priced.list_price, refusal=refusal)
    return PromotionQuote(
        list_price=priced.list_price,
        discount=code_discount(promo, priced.list_price),
        promo_code=promo,
    )


def code_discount(promo: PromoCode, list_price: Decimal) -> Decimal:
    """What `promo` takes off `list_price`: a percent rounded down to the cent (at most
    `max_discount`), or the flat amount; never the whole price (at least one cent is
    paid: an order always has money to book)."""
    if promo.kind == DiscountKind.PERCENT:
        discount = (list_price * promo.value / 100).quantize(CENT, rounding=ROUND_DOWN)
        if promo.max_discount is not None:
            discount = min(discount, promo.max_discount)
    else:
        discount = quantize(promo.value)
    return max(min(discount, list_price - CENT), Decimal("0"))


def _below_floor(*, priced: PricedItem, price: Decimal, allowed_below_cost: bool) -> bool:
    return not allowed_below_cost and price < priced.cost + priced.min_margin


def _running_flash_sale(priced: PricedItem, *, now) -> FlashSale | None:
    """The item's flash sale on now, with stock left and a price below the list price
    within the margin floor (the earliest ending first)."""
    if priced.item_id is None or not priced.fixed_price:
        return None
    sales = FlashSale.objects.filter(
        item_id=priced.item_id,
        paused=False,
        starts_at__lte=now,
        ends_at__gt=now,
        sold__lt=F("stock"),
    ).order_by("ends_at", "pk")
    for sale in sales:
        price = sale.price_for(priced.tier)
        if price >= priced.list_price:
            continue
        if _below_floor(priced=priced, price=price, allowed_below_cost=sale.allowed_below_cost):
            continue
        return sale
    return None


def _in_scope(promo: PromoCode, priced: PricedItem) -> bool:
    if promo.scope == PromoScope.EVERYTHING:
        return True
    if promo.scope == PromoScope.ITEM:
        return priced.item_id is not None and promo.item_id == priced.item_id
    if promo.scope == PromoScope.BRAND:
        return priced.brand_id is not None and promo.brand_id == priced.brand_id
    return priced.category_id is not None and promo.category_id == priced.category_id


def _held_uses(promo: PromoCode, buyer_key: str) -> int:
    return PromotionUse.objects.filter(
        promo_code=promo, buyer_key=buyer_key, released_at__isnull=True
    ).count()


def _code_refusal(
    promo: PromoCode | None,
    *,
    priced: PricedItem,
    buyer_key: str,
    buyer_has_orders: bool,
    now,
) -> Refusal | None:
    """Why `promo` does not apply to this purchase now, or None. Read as it is: the claim
    asks again with the row locked."""
    if promo is None:
        return Refusal.UNKNOWN
    if promo.paused:
        return Refusal.PAUSED
    if now < promo.starts_at:
        return Refusal.NOT_STARTED
    if now >= promo.ends_at:
        return Refusal.EXPIRED
    if promo.total_limit is not None and promo.used >= promo.total_limit:
        return Refusal.USED_UP
    if not _in_scope(promo, priced):
        return Refusal.NOT_FOR_ITEM
    if promo.tiers != "all" and promo.tiers != priced.tier:
        return Refusal.NOT_FOR_TIER
    if priced.list_price < promo.min_purchase:
        return Refusal.MINIMUM_NOT_MET
    if promo.first_order_only and (buyer_has_orders or _held_uses(promo, buyer_key)):
        return Refusal.FIRST_ORDER_ONLY
    if promo.per_buyer_limit is not None and _held_uses(promo, buyer_key) >= promo.per_buyer_limit:
        return Refusal.BUYER_LIMIT
    price = priced.list_price - code_discount(promo, priced.list_price)
    if _below_floor(priced=priced, price=price, allowed_below_cost=promo.allowed_below_cost):
        return Refusal.BELOW_MARGIN
    return None


def promotion_refused(refusal: Refusal) -> ApplicationError:
    """The order services' refusal for a code that does not apply: `promo_code_refused`,
    the reason in `extra["reason"]` and the message under `extra["fields"]["promo_code"]`
    (a form shows it next to the field)."""
    message = REFUSAL_MESSAGES[refusal]
    return ApplicationError(
        message,
        code="promo_code_refused",
        extra={"reason": str(refusal), "fields": {"promo_code": [message]}},
    )


def promotion_claim(
    *,
    order_id: int,
    quote: PromotionQuote,
    priced: PricedItem,
    buyer_key: str,
    buyer_has_orders: bool = False,
    now=None,
) -> PromotionUse | None:
    """Hold `quote`'s promotion for order `order_id` in the caller's transaction (None
    when the quote has no discount). A code is checked again with its row locked, then
    counted (`used + 1`); a flash sale's stock is taken by `UPDATE ... WHERE sold < stock`
    on a running sale. Refuses (ApplicationError `promo_code_refused`, see
    `promotion_refused`) when it no longer applies: the caller's transaction rolls back."""
    if not quote.applies:
        return None
    now = now or timezone.now()
    if quote.promo_code is not None:
        promo = PromoCode.objects.select_for_update().get(pk=quote.promo_code.pk)
        refusal = _code_refusal(
            promo, priced=priced, buyer_key=buyer_key, buyer_has_orders=buyer_has_orders, now=now
        )
        if refusal is not None:
            raise promotion_refused(refusal)
        if code_discount(promo, quote.list_price) != quote.discount:  # changed since quoted
            raise promotion_refused(Refusal.CHANGED)
        PromoCode.objects.filter(pk=promo.pk).update(used=F("used") + 1)
    else:
        sale = quote.flash_sale
        # Its prices as quoted: a sale staff repriced since is not taken at the old price.
        prices = {"price": sale.price}
        if sale.price_reseller is None:
            prices["price_reseller__isnull"] = True
        else:
            prices["price_reseller"] = sale.price_reseller
        taken = FlashSale.objects.filter(
            pk=sale.pk,
            paused=False,
            starts_at__lte=now,
            ends_at__gt=now,
            sold__lt=F("stock"),
            **prices,
        ).update(sold=F("sold") + 1)
        if not taken:
            still_on = FlashSale.objects.filter(pk=sale.pk, sold__lt=F("stock")).exists()
            raise promotion_refused(Refusal.CHANGED if still_on else Refusal.SOLD_OUT)
    return PromotionUse.objects.create(
        order_id=order_id,
        promo_code=quote.promo_code,
        flash_sale=quote.flash_sale,
        buyer_key=buyer_key,
        list_price=quote.list_price,
        discount=quote.discount,
        price=quote.price,
        cost=priced.cost,
        claimed_at=now,
    )


def promotion_release(*, order_id: int, reason: str) -> bool:
    """Give order `order_id`'s use back (its code's count, or its flash sale's stock), at
    most once: True when this call gave it back, False when there was none or it was given
    back already. In the caller's transaction."""
    use = (
        PromotionUse.objects.select_for_update()
        .filter(order_id=order_id, released_at__isnull=True)
        .first()
    )
    if use is None:
        return False
    PromotionUse.objects.filter(pk=use.pk).update(
        released_at=timezone.now(), release_reason=reason[:32]
    )
    if use.promo_code_id is not None:
        PromoCode.objects.filter(pk=use.promo_code_id, used__gt=0).update(used=F("used") - 1)
    else:
        FlashSale.objects.filter(pk=use.flash_sale_id, sold__gt=0).update(sold=F("sold") - 1)
    return True


def promotion_pause(*, promotion: PromoCode | FlashSale, paused: bool = True) -> None:
    """Pause (or resume) a promo code or flash sale: a paused one is neither quoted nor
    claimed; the uses held stay."""
    type(promotion).objects.filter(pk=promotion.pk).update(paused=paused, updated_at=timezone.now())
    promotion.paused = paused
