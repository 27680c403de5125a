"""Shop-item pricing (docs/routing.md, "Pricing"): an item's price per tier is the rule
applied to the cost of its cheapest usable route, but never below the cost of its most
expensive usable route plus the rule's minimum margin (the margin floor: a failover to any
route that may be used never sells at a loss); an item that `allow_below_cost` is priced
from its cheapest route only. `catalog_item_price_for` reads; `catalog_reprice_items`
stores the prices (set-based: a few queries per batch of items)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from catalog.models import PricingRule, Product, ShopItem
from catalog.selectors import active_pricing_rules, item_pricing_rule_for
from catalog.services.pricing import REASON_MAX_LENGTH, product_unavailable_reason
from shop.models import PriceTier
from shop.money import quantize, round_up_to_step

ITEM_REPRICED_FIELDS = ["price_retail", "price_reseller", "unavailable_reason", "updated_at"]


def route_cost(product: Product, amount: Decimal | None) -> Decimal:
    """The cost of one order at route `product` in the shop currency, to cents (a flexible
    product's unit cost times `amount`)."""
    unit = product.cost * product.provider.exchange_rate
    return quantize(unit * amount) if product.is_flexible and amount is not None else quantize(unit)


def route_static_reason(product: Product) -> str:
    """Why `product` may not be used as a route whatever the time, the circuit or the
    order: provider disabled or out of balance, product inactive, out of stock. Empty when
    nothing stops it: such a route "may be used", and the item's price covers it. The same
    rule in SQL: `catalog.selectors.route_for_sale_filter`."""
    reason = product_unavailable_reason(product)
    if reason:
        return reason
    if product.stock is not None and product.stock <= 0:
        return "out of stock"
    return ""


def _route_fits(item: ShopItem, product: Product, amount: Decimal | None) -> bool:
    """A route sells the item's kind, and a flexible route takes the amount."""
    if product.is_flexible != item.is_flexible:
        return False
    if item.is_flexible and amount is not None:
        return product.min_amount <= amount <= product.max_amount
    return True


@dataclass(frozen=True)
class ItemQuote:
    """A shop item's price at one tier (and, for flexible items, one amount).

    `cost` is the cheapest usable route's cost and `floor_cost` the dearest one's (shop
    currency, to cents). When `for_sale` is False, `price` is None and `reason` says why
    (for staff: may name costs)."""

    price: Decimal | None
    cost: Decimal
    floor_cost: Decimal
    for_sale: bool
    reason: str
    rule: PricingRule | None


def _refused(reason: str, cost=Decimal("0.00"), floor=Decimal("0.00"), rule=None) -> ItemQuote:
    return ItemQuote(None, cost, floor, for_sale=False, reason=reason, rule=rule)


def item_usable_routes(item: ShopItem, *, amount: Decimal | None = None) -> list[Product]:
    """The routes of `item` that may be used (`route_static_reason`) for `amount`; reads
    `item.routes` (prefetch it with their providers to price many items)."""
    return [
        product
        for product in item.routes.all()
        if not route_static_reason(product) and _route_fits(item, product, amount)
    ]


def catalog_item_price_for(
    *,
    item: ShopItem,
    tier: str,
    amount: Decimal | None = None,
    rules: Sequence[PricingRule] | None = None,
) -> ItemQuote:
    """Price shop `item` for a buyer of `tier`; reads only, never raises for a refusal.

    A flexible item needs `amount` within its range (each route's cost is then its unit
    cost times the amount). Price = round_up(cheapest cost * (1 + percent/100) + flat,
    step) of the rule `item_pricing_rule_for` gives for the cheapest route; unless the item
    `allow_below_cost`, raised to round_up(dearest usable route's cost + min_margin, step).
    Refused, with a reason, when the item is inactive, the amount is missing or out of
    range, no route may be used, no rule matches, or (allow_below_cost) the price is under
    the cheapest cost plus the minimum margin.
    """
    if not item.active:
        return _refused("deactivated by an admin")
    if item.is_flexible:
        if amount is None:
            return _refused(
                f"an amount between {item.min_amount} and {item.max_amount} is required"
            )
        if not item.min_amount <= amount <= item.max_amount:
            return _refused(f"amount {amount} is outside {item.min_amount} to {item.max_amount}")
    routes = item_usable_routes(item, amount=amount)
    if not routes:
        return _refused("no route may be used")
    costs = [(route_cost(product, amount), product.pk, product) for product in routes]
    cheapest_cost, _pk, cheapest = min(costs, key=lambda entry: entry[:2])
    floor_cost = max(entry[0] for entry in costs)
    rule = item_pricing_rule_for(item=item, product=cheapest, tier=tier, rules=rules)
    if rule is None:
        return _refused(f"no pricing rule for {tier}", cheapest_cost, floor_cost)
    price = round_up_to_step(
        cheapest_cost * (1 + rule.percent / 100) + rule.flat_amount, rule.rounding_step
    )
    if item.allow_below_cost:
        if price < cheapest_cost + rule.min_margin:
            reason = (
                f"price {price} is below cost {cheapest_cost} plus minimum margin {rule.min_margin}"
            )
            return _refused(reason, cheapest_cost, floor_cost, rule)
    else:
        price = max(price, round_up_to_step(floor_cost + rule.min_margin, rule.rounding_step))
    return ItemQuote(price, cheapest_cost, floor_cost, for_sale=True, reason="", rule=rule)


def _stored_of(item: ShopItem, rules: Sequence[PricingRule]) -> tuple:
    """(price_retail, price_reseller, unavailable_reason) to store for `item`: flexible
    items store no price, only whether a route may be used."""
    if item.is_flexible:
        reason = "" if item.active and item_usable_routes(item) else "no route may be used"
        if not item.active:
            reason = "deactivated by an admin"
        return None, None, reason
    retail = catalog_item_price_for(item=item, tier=PriceTier.RETAIL, rules=rules)
    reseller = catalog_item_price_for(item=item, tier=PriceTier.RESELLER, rules=rules)
    reason = retail.reason or reseller.reason
    return retail.price, reseller.price, reason[:REASON_MAX_LENGTH]


def catalog_reprice_items(
    *,
    items: Iterable[ShopItem | int],
    rules: Sequence[PricingRule] | None = None,
    batch_size: int = 500,
) -> int:
    """Store the prices of shop `items` (instances or ids) at every tier; return how many
    changed a stored price or reason. Per batch: one transaction that locks the items in
    pk order, reads them with their routes and providers (two queries), and writes the
    changed ones by one bulk UPDATE. An item with no usable route stores no price and
    says why (`unavailable_reason`). `rules` defaults to `active_pricing_rules()`."""
    item_ids = sorted({item.pk if isinstance(item, ShopItem) else item for item in items})
    if not item_ids:
        return 0
    if rules is None:
        rules = active_pricing_rules()
    changed = 0
    for start in range(0, len(item_ids), batch_size):
        changed += _reprice_item_batch(item_ids[start : start + batch_size], rules)
    return changed


@transaction.atomic
def _reprice_item_batch(item_ids: Sequence[int], rules: Sequence[PricingRule]) -> int:
    locked = list(
        ShopItem.objects.select_for_update(of=("self",))
        .select_related("brand")
        .filter(pk__in=item_ids)
        .order_by("pk")
        .prefetch_related(
            Prefetch("routes", queryset=Product.objects.select_related("provider").order_by("pk"))
        )
    )
    now = timezone.now()
    to_update = []
    for item in locked:
        stored = _stored_of(item, rules)
        if stored != (item.price_retail, item.price_reseller, item.unavailable_reason):
            item.price_retail, item.price_reseller, item.unavailable_reason = stored
            item.updated_at = now  # bulk_update does not run auto_now
            to_update.append(item)
    if to_update:
        ShopItem.objects.bulk_update(to_update, ITEM_REPRICED_FIELDS, batch_size=100)
    return len(to_update)


def catalog_reprice_items_of_products(
    *, product_ids: Iterable[int] | None = None, provider_id: int | None = None
) -> int:
    """Reprice the shop items that `product_ids` (or all of `provider_id`'s products, or
    every product when both are None) are routes of: one query for the item ids, then
    `catalog_reprice_items`."""
    products = Product.objects.filter(shop_item__isnull=False)
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    if provider_id is not None:
        products = products.filter(provider_id=provider_id)
    item_ids = set(products.values_list("shop_item_id", flat=True).distinct())
    return catalog_reprice_items(items=item_ids)
