"""catalog: reads. Which pricing rule applies to a product, and what is for sale."""

from collections.abc import Iterable
from functools import partial

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import translation

from catalog.input_schemas import schema_instructions
from catalog.models import (
    Brand,
    DenominationType,
    PricingRule,
    PricingScope,
    Product,
    ShopItem,
)
from shop.local_cache import VersionedLocalCache
from shop.models import PriceTier
from shop.precompiled import PrecompiledSelect

_STORED_PRICE_FIELDS = {PriceTier.RETAIL: "price_retail", PriceTier.RESELLER: "price_reseller"}


def stored_price_field(tier: str) -> str:
    """The Product field holding the stored price of `tier`; ValueError for an unknown tier."""
    try:
        return _STORED_PRICE_FIELDS[PriceTier(tier)]
    except ValueError:
        raise ValueError(f"unknown price tier {tier!r}") from None


def brand_instructions(brand: Brand) -> str:
    """The buyer's instructions for `brand` in the active language: the shop's own text for
    the brand in that language, else the standard text of its input schema (translated).
    Never the provider's note (`Brand.description`, in the provider's words)."""
    language = (translation.get_language() or "en").split("-")[0]
    own = brand.instructions if language == "en" else getattr(brand, f"instructions_{language}", "")
    return own.strip() or schema_instructions(brand.input_schema)


def product_category_id(product: Product) -> int | None:
    """The category a product is priced and listed under: its own, else its brand's."""
    return product.category_id or product.brand.category_id


_PRODUCT_FOR_ORDER = PrecompiledSelect(Product, where="t.id = %s", related=("provider", "brand"))


def product_for_order(*, product_id: int) -> Product | None:
    """The product with its provider and brand (what pricing and the order read), by one
    query written once (`shop.precompiled`); None if there is no such product."""
    found = _PRODUCT_FOR_ORDER.fetch([product_id])
    return found[0] if found else None


def active_pricing_rules() -> list[PricingRule]:
    """Every active rule, in the order ties are broken (oldest first), for bulk repricing."""
    return list(PricingRule.objects.filter(active=True).order_by("pk"))


_SCOPE_ORDER = (  # most specific first
    PricingScope.ITEM,
    PricingScope.PRODUCT,
    PricingScope.BRAND,
    PricingScope.CATEGORY,
    PricingScope.GLOBAL,
)


def pricing_rule_for(
    *, product: Product, tier: str, rules: Iterable[PricingRule] | None = None
) -> PricingRule | None:
    """The active rule that prices `product` at `tier`, or None.

    The most specific scope wins: product, then brand, then category (see
    `product_category_id`), then global; within one scope the oldest rule wins. Pass `rules`
    (e.g. `active_pricing_rules()`) to price many products without a query each; otherwise
    the process's cached rules of the tier answer (`pricing_rules`: one query per tier
    after a rule changes, seen by every process within a second of the commit).
    """
    category_id = product_category_id(product)
    if rules is None:
        return pricing_rules.get(tier, partial(PricingRuleIndex.load, tier)).rule_for(
            product_id=product.pk, brand_id=product.brand_id, category_id=category_id
        )
    matching = [rule for rule in rules if _rule_matches(rule, product, category_id, tier)]
    return min(matching, key=lambda rule: (_SCOPE_ORDER.index(rule.scope), rule.pk), default=None)


class PricingRuleIndex:
    """The active rules of one tier by what they price: the winner of each product, brand,
    category and the global one (the oldest rule of each), so pricing a product is four
    dictionary lookups. Kept per process in `pricing_rules`."""

    def __init__(self, rules: Iterable[PricingRule]):
        self.winners: dict[tuple[str, int | None], PricingRule] = {}
        for rule in sorted(rules, key=lambda rule: rule.pk, reverse=True):  # oldest last: wins
            target = {
                PricingScope.ITEM: rule.item_id,
                PricingScope.PRODUCT: rule.product_id,
                PricingScope.BRAND: rule.brand_id,
                PricingScope.CATEGORY: rule.category_id,
            }.get(rule.scope)
            self.winners[(rule.scope, target)] = rule

    @classmethod
    def load(cls, tier: str) -> "PricingRuleIndex":
        return cls(PricingRule.objects.filter(active=True, tier=tier))

    def rule_for(
        self,
        *,
        product_id: int | None,
        brand_id: int,
        category_id: int | None,
        item_id: int | None = None,
    ) -> PricingRule | None:
        winners = self.winners
        return (
            (winners.get((PricingScope.ITEM, item_id)) if item_id else None)
            or winners.get((PricingScope.PRODUCT, product_id))
            or winners.get((PricingScope.BRAND, brand_id))
            or (winners.get((PricingScope.CATEGORY, category_id)) if category_id else None)
            or winners.get((PricingScope.GLOBAL, None))
        )


# Every process's active rules by tier, dropped within a second of any rule changing
# (shop.local_cache; `pricing_rules_changed` below, connected in CatalogConfig.ready).
pricing_rules = VersionedLocalCache("catalog.pricing_rules")


def pricing_rules_changed(**_kwargs) -> None:
    pricing_rules.invalidate()


def item_pricing_rule_for(
    *,
    item: ShopItem,
    product: Product | None,
    tier: str,
    rules: Iterable[PricingRule] | None = None,
) -> PricingRule | None:
    """The active rule that prices shop `item` at `tier` from its route `product` (None:
    no route): the item's own rule, else `product`'s, else the item's brand's, its
    category's (its own, else its brand's), the global one; the oldest within a scope.
    `rules`: see `pricing_rule_for`."""
    category_id = item.category_id or item.brand.category_id
    product_id = product.pk if product is not None else None
    if rules is None:
        return pricing_rules.get(tier, partial(PricingRuleIndex.load, tier)).rule_for(
            product_id=product_id, brand_id=item.brand_id, category_id=category_id, item_id=item.pk
        )
    matching = [
        rule
        for rule in rules
        if rule.active
        and rule.tier == tier
        and (
            (rule.scope == PricingScope.ITEM and rule.item_id == item.pk)
            or (rule.scope == PricingScope.PRODUCT and rule.product_id == product_id)
            or (rule.scope == PricingScope.BRAND and rule.brand_id == item.brand_id)
            or (
                rule.scope == PricingScope.CATEGORY
                and category_id is not None
                and rule.category_id == category_id
            )
            or rule.scope == PricingScope.GLOBAL
        )
    ]
    return min(matching, key=lambda rule: (_SCOPE_ORDER.index(rule.scope), rule.pk), default=None)


def _rule_matches(rule: PricingRule, product: Product, category_id: int | None, tier: str) -> bool:
    if not rule.active or rule.tier != tier:
        return False
    if rule.scope == PricingScope.ITEM:
        return False
    if rule.scope == PricingScope.PRODUCT:
        return rule.product_id == product.pk
    if rule.scope == PricingScope.BRAND:
        return rule.brand_id == product.brand_id
    if rule.scope == PricingScope.CATEGORY:
        return category_id is not None and rule.category_id == category_id
    return rule.scope == PricingScope.GLOBAL


def products_for_sale(*, tier: str) -> QuerySet[Product]:
    """Products with a stored price at `tier` whose provider is enabled and both flags active.

    FLEXIBLE products store no price (theirs is computed per order), so they are not here.
    """
    return Product.objects.filter(
        **{f"{stored_price_field(tier)}__isnull": False},
        provider__enabled=True,
        provider_active=True,
        admin_active=True,
    ).select_related("provider", "brand__category", "category")


def route_for_sale_filter(prefix: str = "") -> Q:
    """The products (`prefix`: the lookup path to them, e.g. "routes__") that may be used
    as routes, in SQL: the rule `catalog.services.items.route_static_reason` applies in
    Python (provider enabled and not out of balance, active at the provider and in the
    admin, in stock). Price, cut-off and health are the router's (orders.routing)."""
    in_stock = Q(**{f"{prefix}stock__isnull": True}) | Q(**{f"{prefix}stock__gt": 0})
    return in_stock & Q(
        **{
            f"{prefix}provider__enabled": True,
            f"{prefix}provider__out_of_balance_since__isnull": True,
            f"{prefix}provider_active": True,
            f"{prefix}admin_active": True,
        }
    )


def sellable_shop_items() -> QuerySet[ShopItem]:
    """Shop items a buyer may be offered: active, with at least one route that may deliver
    (`route_for_sale_filter`)."""
    routes = Product.objects.filter(route_for_sale_filter(), shop_item=OuterRef("pk"))
    return ShopItem.objects.filter(Exists(routes), active=True)


def brands_with_sellable_items() -> QuerySet[Brand]:
    """Brands with at least one sellable shop item (the home page's and the search's)."""
    return Brand.objects.filter(Exists(sellable_shop_items().filter(brand=OuterRef("pk"))))


def shop_items_with_price(items: QuerySet[ShopItem], *, tier: str) -> QuerySet[ShopItem]:
    """`items` annotated with `shown_price`, the price a buyer at `tier` sees: the item's own
    stored price (`catalog.services.items`); None for a flexible item (priced per amount)
    and for an item not priced at `tier`."""
    field = stored_price_field(tier)
    return items.annotate(
        shown_price=Case(
            When(denomination_type=DenominationType.FLEXIBLE, then=Value(None)),
            default=F(field),
            output_field=ShopItem._meta.get_field(field),
        )
    )


def shop_item_unavailable_reason(item: ShopItem) -> str:
    """Why staff see `item` not for sale (empty when nothing stops it here): switched off,
    no route mapped, no route that may deliver, or no price at any tier. Staff's words;
    the router's own checks (health, stock, cut-off, balance) come on top."""
    if not item.active:
        return "switched off (active is unticked)"
    routes = item.routes.all()
    if not routes.exists():
        return "no route: map provider products to it"
    if not routes.filter(route_for_sale_filter()).exists():
        return "no route can deliver: providers disabled or out of balance, products inactive"
    if not item.is_flexible and item.price_retail is None and item.price_reseller is None:
        return item.unavailable_reason or "no stored price at any tier yet"
    return ""
