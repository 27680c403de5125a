"""catalog: writes, and the one pricing rule of DESIGN.md ("Money")."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import PriceChange, PricingRule, Product, Provider
from catalog.selectors import active_pricing_rules, pricing_rule_for, stored_price_field
from shop.models import PriceTier
from shop.money import quantize, round_up_to_step

_REASON_MAX_LENGTH = 200  # Product.unavailable_reason and PriceChange.reason
_REPRICED_FIELDS = ["price_retail", "price_reseller", "unavailable_reason", "updated_at"]


@dataclass(frozen=True)
class PriceQuote:
    """A product's price at one tier (and, for FLEXIBLE products, one amount).

    `cost` is in the shop currency, two places (0.00 when a FLEXIBLE product has no amount).
    When `for_sale` is False, `price` and `margin` are None and `reason` says why.
    """

    price: Decimal | None
    cost: Decimal
    margin: Decimal | None
    for_sale: bool
    reason: str
    rule: PricingRule | None


def product_unavailable_reason(product: Product) -> str:
    """Why `product` cannot be sold at any tier or amount; empty when nothing stops it."""
    if not product.provider.enabled:
        return f"provider {product.provider.code} is disabled"
    if product.provider.out_of_balance_since is not None:
        return f"provider {product.provider.code} is out of balance"
    if not product.provider_active:
        return "inactive at the provider"
    if not product.admin_active:
        return "deactivated by an admin"
    return ""


def catalog_price_for(
    *,
    product: Product,
    tier: str,
    amount: Decimal | None = None,
    rules: Sequence[PricingRule] | None = None,
) -> PriceQuote:
    """Price `product` for a buyer of `tier`; reads only, never raises for a pricing refusal.

    Cost = product cost (FLEXIBLE: `amount` * unit cost; `amount` is required and must lie
    within min/max, and is ignored for FIXED products) * the provider's exchange rate, to
    cents. Price = cost * (1 + percent/100) + flat amount of the rule chosen by
    `pricing_rule_for`, rounded up to its step. Refused, with a reason, when the product is
    unavailable, the amount is missing or out of range, no rule matches, or the price is
    below cost plus the rule's minimum margin. `rules`: see `pricing_rule_for`.
    """
    cost, amount_problem = _cost_in_shop_currency(product, amount)
    reason = product_unavailable_reason(product) or amount_problem
    rule = None
    if not reason:
        rule = pricing_rule_for(product=product, tier=tier, rules=rules)
        if rule is None:
            reason = f"no pricing rule for {tier}"
    if reason:
        return PriceQuote(None, cost, None, for_sale=False, reason=reason, rule=rule)

    price = round_up_to_step(cost * (1 + rule.percent / 100) + rule.flat_amount, rule.rounding_step)
    if price < cost + rule.min_margin:
        reason = f"price {price} is below cost {cost} plus minimum margin {rule.min_margin}"
        return PriceQuote(None, cost, None, for_sale=False, reason=reason, rule=rule)
    return PriceQuote(price, cost, price - cost, for_sale=True, reason="", rule=rule)


def _cost_in_shop_currency(product: Product, amount: Decimal | None) -> tuple[Decimal, str]:
    """The cost to cents, and what is wrong with `amount` (empty when nothing)."""
    rate = product.provider.exchange_rate
    if not product.is_flexible:
        return quantize(product.cost * rate), ""
    if amount is None:
        return quantize(Decimal(0)), (
            f"an amount between {product.min_amount} and {product.max_amount} is required"
        )
    cost = quantize(amount * product.cost * rate)
    if not product.min_amount <= amount <= product.max_amount:
        return cost, (f"amount {amount} is outside {product.min_amount} to {product.max_amount}")
    return cost, ""


def catalog_reprice_product(
    *, product: Product, reason: str = "", rules: Sequence[PricingRule] | None = None
) -> Product:
    """Store `product`'s price at every tier; return the product as now stored.

    One transaction with the product row locked. A tier's stored price is None when it is
    not for sale; `unavailable_reason` is the retail reason, else the reseller one, else
    empty. FLEXIBLE products store no price (it is computed per order), only whether they
    are available. A PriceChange row (with `reason`) is written for each tier whose stored
    price changed, so repricing an unchanged product writes nothing. The repriced fields are
    copied onto `product` too, so a later `product.save()` cannot put back stale prices.
    `rules`: see `pricing_rule_for`.
    """
    repriced, _ = _reprice(product_id=product.pk, reason=reason, rules=rules)
    for field in _REPRICED_FIELDS:
        setattr(product, field, getattr(repriced, field))
    return repriced


def catalog_reprice_all(*, provider: Provider | None = None, reason: str = "") -> int:
    """Reprice every product (or only `provider`'s); return how many changed a stored price.

    Each product is repriced in its own transaction (one row lock at a time, in pk order),
    with the active rules read once.
    """
    rules = active_pricing_rules()
    products = Product.objects.order_by("pk")
    if provider is not None:
        products = products.filter(provider=provider)
    return sum(
        _reprice(product_id=product_id, reason=reason, rules=rules)[1]
        for product_id in products.values_list("pk", flat=True)
    )


@transaction.atomic
def _reprice(
    *, product_id: int, reason: str, rules: Sequence[PricingRule] | None
) -> tuple[Product, bool]:
    product = (
        Product.objects.select_related("provider", "brand")
        .select_for_update(of=("self",))
        .get(pk=product_id)
    )
    changes, unavailable_reason = _reprice_in_memory(product=product, reason=reason, rules=rules)
    PriceChange.objects.bulk_create(changes)
    price_changed = bool(changes)
    if price_changed or unavailable_reason != product.unavailable_reason:
        product.unavailable_reason = unavailable_reason
        product.save(update_fields=_REPRICED_FIELDS)
    return product, price_changed


def _price_to_store(
    product: Product, tier: str, rules: Sequence[PricingRule] | None
) -> tuple[Decimal | None, str, Decimal]:
    """(stored price, reason it is not for sale, cost) of one tier."""
    if product.is_flexible:
        unit_cost = (product.cost * product.provider.exchange_rate).quantize(Decimal("0.0001"))
        return None, product_unavailable_reason(product), unit_cost
    quote = catalog_price_for(product=product, tier=tier, rules=rules)
    return quote.price, quote.reason, quote.cost


BULK_UPDATE_BATCH = 100  # Django's CASE-based bulk_update is fastest at about 100 rows


def catalog_create_products(
    *, products: Sequence[Product], reason: str = "", rules: Sequence[PricingRule] | None = None
) -> list[Product]:
    """Create new `products` already priced; return them, saved.

    Their stored prices and `unavailable_reason` are computed in memory exactly as
    `catalog_reprice_product` would store them, so each row is written once: one
    `bulk_create` of the products, one of their PriceChange rows (from no price, with
    `reason`). Give each product its `provider` and `brand` as instances, so pricing reads
    nothing. `rules` defaults to `active_pricing_rules()`.
    """
    if rules is None:
        rules = active_pricing_rules()
    price_changes = []
    for product in products:
        changes, unavailable_reason = _reprice_in_memory(
            product=product, reason=reason, rules=rules
        )
        product.unavailable_reason = unavailable_reason
        price_changes.extend(changes)
    with transaction.atomic():
        created = Product.objects.bulk_create(products)
        PriceChange.objects.bulk_create(price_changes)  # product ids are known by now
    return created


def catalog_reprice_products(
    *,
    products: Iterable[Product | int],
    reason: str = "",
    rules: Sequence[PricingRule] | None = None,
    batch_size: int = 1000,
) -> int:
    """Reprice many products in bulk; return how many changed a stored price.

    Each product ends exactly as `catalog_reprice_product` would leave it (same prices, same
    `unavailable_reason`, same PriceChange rows), but the work is done per batch of
    `batch_size` products (given as instances or ids; only the id is used): one transaction
    that reads the batch with its rows locked in pk order (the lock order of
    `catalog_reprice_all`), then `bulk_update` of only the stored fields that changed (rows
    grouped by that set of fields) and one `bulk_create` of the PriceChange rows. Unchanged
    products write nothing.
    `rules` defaults to `active_pricing_rules()`, read once for all batches.
    """
    if rules is None:
        rules = active_pricing_rules()
    product_ids = sorted(
        {product.pk if isinstance(product, Product) else product for product in products}
    )
    return sum(
        _reprice_batch(
            product_ids=product_ids[start : start + batch_size], reason=reason, rules=rules
        )
        for start in range(0, len(product_ids), batch_size)
    )


@transaction.atomic
def _reprice_batch(*, product_ids: Sequence[int], reason: str, rules: Sequence[PricingRule]) -> int:
    locked = (
        Product.objects.select_related("provider", "brand")
        .select_for_update(of=("self",))
        .filter(pk__in=product_ids)
        .order_by("pk")
    )
    now = timezone.now()
    # Rows are grouped by the fields that changed, and only those are written.
    to_update: dict[tuple[str, ...], list[Product]] = {}
    price_changes: list[PriceChange] = []
    for product in locked:
        changes, unavailable_reason = _reprice_in_memory(
            product=product, reason=reason, rules=rules
        )
        changed = [stored_price_field(change.tier) for change in changes]
        if unavailable_reason != product.unavailable_reason:
            product.unavailable_reason = unavailable_reason
            changed.append("unavailable_reason")
        if changed:
            product.updated_at = now  # bulk_update does not run auto_now
            to_update.setdefault((*changed, "updated_at"), []).append(product)
            price_changes.extend(changes)
    for fields, products in to_update.items():
        Product.objects.bulk_update(products, fields, batch_size=BULK_UPDATE_BATCH)
    PriceChange.objects.bulk_create(price_changes)
    return len({change.product_id for change in price_changes})


def _reprice_in_memory(
    *, product: Product, reason: str, rules: Sequence[PricingRule] | None
) -> tuple[list[PriceChange], str]:
    """Set `product`'s stored prices in memory; return the unsaved PriceChange rows of the
    tiers whose price changed and the `unavailable_reason` to store (the rule of `_reprice`)."""
    reasons = []
    changes = []
    for tier in (PriceTier.RETAIL, PriceTier.RESELLER):
        new_price, tier_reason, cost = _price_to_store(product, tier, rules)
        reasons.append(tier_reason)
        field = stored_price_field(tier)
        old_price = getattr(product, field)
        if new_price == old_price:
            continue
        changes.append(
            PriceChange(
                product=product,
                tier=tier,
                old_price=old_price,
                new_price=new_price,
                cost=cost,
                reason="; ".join(part for part in (reason, tier_reason) if part)[
                    :_REASON_MAX_LENGTH
                ],
            )
        )
        setattr(product, field, new_price)
    return changes, next((r for r in reasons if r), "")[:_REASON_MAX_LENGTH]
