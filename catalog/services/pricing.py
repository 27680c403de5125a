"""The one pricing rule (docs/catalog.md, "Pricing"): rules → a product's price at each
tier. Reads only; `catalog_price_for` prices a Product, `ProductPricer` the same way from
plain values for the bulk paths."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import NamedTuple

from catalog.models import PriceChange, PricingRule, PricingScope, Product
from catalog.selectors import pricing_rule_for, stored_price_field
from shop.models import PriceTier
from shop.money import quantize, round_up_to_step

REASON_MAX_LENGTH = 200  # Product.unavailable_reason and PriceChange.reason
REPRICED_FIELDS = ["price_retail", "price_reseller", "unavailable_reason", "updated_at"]


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


def price_to_store(
    product: Product, tier: str, rules: Sequence[PricingRule] | None
) -> tuple[Decimal | None, str, Decimal]:
    """(stored price, reason it is not for sale, cost) of one tier."""
    if product.is_bill:  # priced per inquiry (orders.services.bills), never as a product
        return None, "a postpaid bill: priced per inquiry", Decimal("0.00")
    if product.is_flexible:
        unit_cost = (product.cost * product.provider.exchange_rate).quantize(Decimal("0.0001"))
        return None, product_unavailable_reason(product), unit_cost
    quote = catalog_price_for(product=product, tier=tier, rules=rules)
    return quote.price, quote.reason, quote.cost


def reprice_in_memory(
    *, product: Product, reason: str, rules: Sequence[PricingRule] | None
) -> tuple[list[PriceChange], str]:
    """Set `product`'s stored prices in memory; return the unsaved PriceChange rows of the
    tiers whose price changed and the `unavailable_reason` to store (the rule of `_reprice`)."""
    reasons = []
    changes = []
    for tier in (PriceTier.RETAIL, PriceTier.RESELLER):
        new_price, tier_reason, cost = price_to_store(product, tier, rules)
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
                    :REASON_MAX_LENGTH
                ],
            )
        )
        setattr(product, field, new_price)
    return changes, next((r for r in reasons if r), "")[:REASON_MAX_LENGTH]


_UNIT_COST_PLACES = Decimal("0.0001")
_TIERS = (PriceTier.RETAIL, PriceTier.RESELLER)


class PriceChangeRow(NamedTuple):
    """An unsaved PriceChange of one tier, its columns in COPY order (after `product_id`)."""

    tier: str
    old_price: Decimal | None
    new_price: Decimal | None
    cost: Decimal
    reason: str


class PricedProduct(NamedTuple):
    """What `ProductPricer.price` stores for one product."""

    price_retail: Decimal | None
    price_reseller: Decimal | None
    unavailable_reason: str
    changes: list[PriceChangeRow]


class ProductPricer:
    """What `reprice_in_memory` stores, computed for many products from plain values:
    the rule of each (tier, product, brand, category) is looked up once, with its
    multiplier. Same arithmetic, in the same order, as `catalog_price_for`."""

    def __init__(self, *, rules: Sequence[PricingRule], reason: str):
        self.rules = list(rules)
        self.reason = reason
        self._by_product = any(rule.scope == PricingScope.PRODUCT for rule in self.rules)
        self._terms: dict[tuple, tuple | None] = {}
        self._reasons: dict[tuple[str, str], str] = {}

    def _term(self, tier: str, pk: int | None, brand_id: int, category_id: int | None):
        key = (tier, pk if self._by_product else None, brand_id, category_id)
        try:
            return self._terms[key]
        except KeyError:
            pass
        stub = SimpleNamespace(  # category_id is already the one it is priced under
            pk=pk,
            brand_id=brand_id,
            category_id=category_id,
            brand=SimpleNamespace(category_id=None),
        )
        rule = pricing_rule_for(product=stub, tier=tier, rules=self.rules)
        term = None
        if rule is not None:
            term = (1 + rule.percent / 100, rule.flat_amount, rule.rounding_step, rule.min_margin)
        self._terms[key] = term
        return term

    def _history_reason(self, tier_reason: str) -> str:
        key = (self.reason, tier_reason)
        try:
            return self._reasons[key]
        except KeyError:
            joined = "; ".join(part for part in key if part)[:REASON_MAX_LENGTH]
            if len(self._reasons) < 10_000:
                self._reasons[key] = joined
            return joined

    def price(
        self,
        *,
        unavailable: str,
        pk: int | None,
        brand_id: int,
        category_id: int | None,
        flexible: bool,
        cost: Decimal,
        rate: Decimal,
        old_retail: Decimal | None,
        old_reseller: Decimal | None,
    ) -> PricedProduct:
        """The stored prices, `unavailable_reason` and PriceChange rows of one product;
        `unavailable` is `product_unavailable_reason`, `category_id` the one it is priced
        under."""
        new_prices = []
        reasons = []
        costs = []
        if flexible:
            unit_cost = (cost * rate).quantize(_UNIT_COST_PLACES)
            for _tier in _TIERS:
                new_prices.append(None)
                reasons.append(unavailable)
                costs.append(unit_cost)
        else:
            shop_cost = quantize(cost * rate)
            for tier in _TIERS:
                costs.append(shop_cost)
                if unavailable:
                    new_prices.append(None)
                    reasons.append(unavailable)
                    continue
                term = self._term(tier, pk, brand_id, category_id)
                if term is None:
                    new_prices.append(None)
                    reasons.append(f"no pricing rule for {tier}")
                    continue
                multiplier, flat_amount, step, min_margin = term
                price = round_up_to_step(shop_cost * multiplier + flat_amount, step)
                if price < shop_cost + min_margin:
                    new_prices.append(None)
                    reasons.append(
                        f"price {price} is below cost {shop_cost} plus minimum margin {min_margin}"
                    )
                else:
                    new_prices.append(price)
                    reasons.append("")
        changes = [
            PriceChangeRow(tier.value, old, new, tier_cost, self._history_reason(tier_reason))
            for tier, old, new, tier_cost, tier_reason in zip(
                _TIERS, (old_retail, old_reseller), new_prices, costs, reasons, strict=True
            )
            if new != old
        ]
        unavailable_reason = next((r for r in reasons if r), "")[:REASON_MAX_LENGTH]
        return PricedProduct(new_prices[0], new_prices[1], unavailable_reason, changes)


def provider_unavailable_reason(*, enabled: bool, code: str, out_of_balance_since) -> str:
    """The provider's part of `product_unavailable_reason`."""
    if not enabled:
        return f"provider {code} is disabled"
    if out_of_balance_since is not None:
        return f"provider {code} is out of balance"
    return ""


def unavailable_reason_from_parts(
    provider_reason: str, provider_active: bool, admin_active: bool
) -> str:
    """`product_unavailable_reason` from its parts."""
    if provider_reason:
        return provider_reason
    if not provider_active:
        return "inactive at the provider"
    if not admin_active:
        return "deactivated by an admin"
    return ""
