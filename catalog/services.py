"""catalog: writes, and the one pricing rule (docs/catalog.md, "Pricing")."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import NamedTuple

from django.db import connection, models, transaction
from django.utils import timezone

from catalog.models import (
    DenominationType,
    PriceChange,
    PricingRule,
    PricingScope,
    Product,
    Provider,
)
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
    if connection.vendor == "postgresql":
        return _reprice_batch_postgresql(product_ids=product_ids, reason=reason, rules=rules)
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


# --- PostgreSQL fast paths: COPY for new rows, UPDATE ... FROM (VALUES ...) for changed ones --


_UNIT_COST_PLACES = Decimal("0.0001")
_TIERS = (PriceTier.RETAIL, PriceTier.RESELLER)
_UPDATE_PARAMS = 30_000  # query parameters per UPDATE ... FROM (VALUES ...) (PostgreSQL: 65,535)


class NewProduct(NamedTuple):
    """A product for `catalog_insert_products`: its Product fields, and its brand's category
    (a product without a category of its own is priced under it)."""

    provider_sku: str
    brand_id: int
    brand_category_id: int | None
    category_id: int | None
    name: str
    description: str
    cost: Decimal
    cost_currency: str
    denomination_type: str
    min_amount: Decimal | None
    max_amount: Decimal | None
    provider_active: bool
    last_synced_at: datetime | None


class _Pricer:
    """What `_reprice_in_memory` stores, computed for many products from plain values:
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
            joined = "; ".join(part for part in key if part)[:_REASON_MAX_LENGTH]
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
    ) -> tuple[Decimal | None, Decimal | None, str, list[tuple]]:
        """(retail price, reseller price, unavailable_reason, PriceChange rows as (tier,
        old_price, new_price, cost, reason)) of one product; `unavailable` is
        `product_unavailable_reason`, `category_id` the one it is priced under."""
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
            (tier.value, old, new, tier_cost, self._history_reason(tier_reason))
            for tier, old, new, tier_cost, tier_reason in zip(
                _TIERS, (old_retail, old_reseller), new_prices, costs, reasons, strict=True
            )
            if new != old
        ]
        unavailable_reason = next((r for r in reasons if r), "")[:_REASON_MAX_LENGTH]
        return new_prices[0], new_prices[1], unavailable_reason, changes


def _provider_unavailable_reason(*, enabled: bool, code: str, out_of_balance_since) -> str:
    """The provider's part of `product_unavailable_reason`."""
    if not enabled:
        return f"provider {code} is disabled"
    if out_of_balance_since is not None:
        return f"provider {code} is out of balance"
    return ""


def _unavailable_reason(provider_reason: str, provider_active: bool, admin_active: bool) -> str:
    """`product_unavailable_reason` from its parts."""
    if provider_reason:
        return provider_reason
    if not provider_active:
        return "inactive at the provider"
    if not admin_active:
        return "deactivated by an admin"
    return ""


_NEW_PRODUCT_COLUMNS = (
    "provider_id", "provider_sku", "brand_id", "category_id", "name", "description", "cost",
    "cost_currency", "denomination_type", "min_amount", "max_amount", "provider_active",
    "admin_active", "price_retail", "price_reseller", "unavailable_reason", "last_synced_at",
    "created_at", "updated_at",
)  # fmt: skip
_PRICE_CHANGE_COLUMNS = (
    "product_id", "tier", "old_price", "new_price", "cost", "reason", "changed_at",
)  # fmt: skip


def catalog_insert_products(
    *,
    provider: Provider,
    products: Sequence[NewProduct],
    reason: str = "",
    rules: Sequence[PricingRule] | None = None,
) -> int:
    """PostgreSQL only: create `provider`'s new `products` already priced, as
    `catalog_create_products` does (same prices, `unavailable_reason` and PriceChange rows),
    without model instances: one COPY of the products, one query reading their ids back by
    SKU, one COPY of their PriceChange rows. Return how many got a stored price."""
    if not products:
        return 0
    if rules is None:
        rules = active_pricing_rules()
    pricer = _Pricer(rules=rules, reason=reason)
    provider_reason = _provider_unavailable_reason(
        enabled=provider.enabled,
        code=provider.code,
        out_of_balance_since=provider.out_of_balance_since,
    )
    rate = provider.exchange_rate
    now = timezone.now()
    priced = 0
    rows = []
    changes_by_sku = []
    for product in products:
        retail, reseller, unavailable_reason, changes = pricer.price(
            unavailable=_unavailable_reason(provider_reason, product.provider_active, True),
            pk=None,
            brand_id=product.brand_id,
            category_id=product.category_id or product.brand_category_id,
            flexible=product.denomination_type == DenominationType.FLEXIBLE,
            cost=product.cost,
            rate=rate,
            old_retail=None,
            old_reseller=None,
        )
        if retail is not None or reseller is not None:
            priced += 1
        rows.append(
            (
                provider.pk, product.provider_sku, product.brand_id, product.category_id,
                product.name, product.description, product.cost, product.cost_currency,
                product.denomination_type, product.min_amount, product.max_amount,
                product.provider_active, True, retail, reseller, unavailable_reason,
                product.last_synced_at, now, now,
            )
        )  # fmt: skip
        if changes:
            changes_by_sku.append((product.provider_sku, changes))
    with transaction.atomic(), connection.cursor() as cursor:
        _copy(cursor, Product, _NEW_PRODUCT_COLUMNS, rows)
        del rows
        cursor.execute(  # identifiers from the model's metadata, values as parameters
            f"SELECT provider_sku, id FROM {connection.ops.quote_name(Product._meta.db_table)} "  # noqa: S608
            "WHERE provider_id = %s AND provider_sku = ANY(%s)",
            [provider.pk, [product.provider_sku for product in products]],
        )
        ids = dict(cursor.fetchall())
        _copy(
            cursor,
            PriceChange,
            _PRICE_CHANGE_COLUMNS,
            ((ids[sku], *change, now) for sku, changes in changes_by_sku for change in changes),
        )
    return priced


def _copy(cursor, model: type[models.Model], columns: Sequence[str], rows: Iterable) -> None:
    quote = connection.ops.quote_name
    statement = (
        f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    )
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def update_rows_by_pk(
    model: type[models.Model], field_names: Sequence[str], rows: Sequence[tuple]
) -> int:
    """PostgreSQL only: set `field_names` of many rows of `model`, each row given as (pk,
    *values in field order), with one `UPDATE ... FROM (VALUES ...)` per few thousand rows
    (Django's `bulk_update` builds a CASE per field and value). Return the rows updated."""
    opts = model._meta
    quote = connection.ops.quote_name
    fields = [opts.pk, *(opts.get_field(name) for name in field_names)]
    columns = [quote(field.column) for field in fields]
    types = [
        opts.pk.rel_db_type(connection),
        *(field.db_type(connection) for field in fields[1:]),
    ]
    pk = columns[0]
    assignments = ", ".join(f"{column} = v.{column}" for column in columns[1:])
    first_row = "(" + ", ".join(f"%s::{db_type}" for db_type in types) + ")"
    other_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch_size = max(1, _UPDATE_PARAMS // len(fields))
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            values = ", ".join([first_row, *([other_row] * (len(batch) - 1))])
            cursor.execute(  # identifiers from the model's metadata, values as parameters
                f"UPDATE {quote(opts.db_table)} AS p SET {assignments} "  # noqa: S608
                f"FROM (VALUES {values}) AS v({', '.join(columns)}) WHERE p.{pk} = v.{pk}",
                [value for row in batch for value in row],
            )
            updated += cursor.rowcount
    return updated


_REPRICE_READ = (
    "pk", "provider__enabled", "provider__code", "provider__out_of_balance_since",
    "provider__exchange_rate", "brand_id", "category_id", "brand__category_id",
    "denomination_type", "cost", "provider_active", "admin_active", "price_retail",
    "price_reseller", "unavailable_reason",
)  # fmt: skip


def _reprice_batch_postgresql(
    *, product_ids: Sequence[int], reason: str, rules: Sequence[PricingRule]
) -> int:
    """`_reprice_batch` without model instances: the rows are read (locked, in pk order)
    as values, the changed ones written by one UPDATE and their history by one COPY."""
    locked = (
        Product.objects.select_for_update(of=("self",))
        .filter(pk__in=product_ids)
        .order_by("pk")
        .values_list(*_REPRICE_READ)
    )
    pricer = _Pricer(rules=rules, reason=reason)
    now = timezone.now()
    updates = []
    history = []
    for (
        pk, enabled, code, out_of_balance_since, rate, brand_id, category_id,
        brand_category_id, denomination_type, cost, provider_active, admin_active,
        old_retail, old_reseller, old_reason,
    ) in locked:  # fmt: skip
        provider_reason = _provider_unavailable_reason(
            enabled=enabled, code=code, out_of_balance_since=out_of_balance_since
        )
        retail, reseller, unavailable_reason, changes = pricer.price(
            unavailable=_unavailable_reason(provider_reason, provider_active, admin_active),
            pk=pk,
            brand_id=brand_id,
            category_id=category_id or brand_category_id,
            flexible=denomination_type == DenominationType.FLEXIBLE,
            cost=cost,
            rate=rate,
            old_retail=old_retail,
            old_reseller=old_reseller,
        )
        if changes or unavailable_reason != old_reason:
            updates.append((pk, retail, reseller, unavailable_reason, now))
            history.extend((pk, *change, now) for change in changes)
    if updates:
        update_rows_by_pk(Product, _REPRICED_FIELDS, updates)
    if history:
        with connection.cursor() as cursor:
            _copy(cursor, PriceChange, _PRICE_CHANGE_COLUMNS, history)
    return len({row[0] for row in history})
