"""PostgreSQL fast paths of pricing: COPY for new products, UPDATE ... FROM (VALUES ...) for
changed ones, each priced by `ProductPricer` from plain values (no model instances)."""

from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from catalog.models import DenominationType, PriceChange, PricingRule, Product, Provider
from catalog.selectors import active_pricing_rules
from catalog.services.pricing import (
    _TIERS,
    REPRICED_FIELDS,
    ProductPricer,
    provider_unavailable_reason,
    unavailable_reason_from_parts,
)
from catalog.services.sql import Stage, column_types, copy_rows, update_rows_by_pk


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
    stock: int | None = None
    cutoff_start: time | None = None
    cutoff_end: time | None = None
    face_value: Decimal | None = None


_PRICE_CHANGE_COLUMNS = (
    "product_id", "tier", "old_price", "new_price", "cost", "reason", "changed_at",
)  # fmt: skip
# A new product as staged: its Product columns (the rest are the same for every row), and
# its price history's cost and reason (one row per tier with a price).
_STAGED_PRODUCT_FIELDS = (
    "provider_sku", "brand_id", "category_id", "name", "description", "cost", "cost_currency",
    "denomination_type", "min_amount", "max_amount", "provider_active", "price_retail",
    "price_reseller", "unavailable_reason", "last_synced_at", "stock", "cutoff_start",
    "cutoff_end", "face_value",
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
    without model instances (`NewProductStage`). Return how many got a stored price."""
    with transaction.atomic():
        stage = NewProductStage(provider=provider, reason=reason, rules=rules)
        priced = stage.add(products)
        stage.merge()
    return priced


class NewProductStage:
    """PostgreSQL only, inside a transaction: new products priced in Python and staged by
    COPY into a temporary table (`add`, as many batches as needed), then written by one
    INSERT per table (`merge`): the products, then their PriceChange rows, derived in the
    database from the staged prices with the cost and reason the pricer gave them."""

    def __init__(
        self,
        *,
        provider: Provider,
        reason: str = "",
        rules: Sequence[PricingRule] | None = None,
    ):
        self.provider = provider
        self.pricer = ProductPricer(
            rules=active_pricing_rules() if rules is None else rules, reason=reason
        )
        self.provider_reason = provider_unavailable_reason(
            enabled=provider.enabled,
            code=provider.code,
            out_of_balance_since=provider.out_of_balance_since,
        )
        self._cursor = None
        self._stage: Stage | None = None
        self._staged = 0

    def add(self, products: Sequence[NewProduct]) -> int:
        """Price `products` and stage them; return how many got a stored price."""
        if not products:
            return 0
        if self._stage is None:
            self._cursor = connection.cursor()
            self._stage = Stage(
                self._cursor,
                prefix="stage_new_products",
                columns={
                    "position": "bigint",
                    **column_types(Product, _STAGED_PRODUCT_FIELDS),
                    "history_cost": column_types(PriceChange, ["cost"])["cost"],
                    "history_reason": column_types(PriceChange, ["reason"])["reason"],
                },
            )
        rows = []
        priced = 0
        for position, product in enumerate(products, start=self._staged):
            retail, reseller, unavailable_reason, changes = self.pricer.price(
                unavailable=unavailable_reason_from_parts(
                    self.provider_reason, product.provider_active, True
                ),
                pk=None,
                brand_id=product.brand_id,
                category_id=product.category_id or product.brand_category_id,
                flexible=product.denomination_type != DenominationType.FIXED,  # bills too: no price
                cost=product.cost,
                rate=self.provider.exchange_rate,
                old_retail=None,
                old_reseller=None,
            )
            if retail is not None or reseller is not None:
                priced += 1
            history_cost, history_reason = _history_of_new_product(retail, reseller, changes)
            rows.append(
                (
                    position, product.provider_sku, product.brand_id, product.category_id,
                    product.name, product.description, product.cost, product.cost_currency,
                    product.denomination_type, product.min_amount, product.max_amount,
                    product.provider_active, retail, reseller, unavailable_reason,
                    product.last_synced_at, product.stock, product.cutoff_start,
                    product.cutoff_end, product.face_value, history_cost, history_reason,
                )
            )  # fmt: skip
        self._stage.write(rows)
        self._staged += len(products)
        return priced

    def merge(self) -> int:
        """Write the staged products and their history; return how many were created."""
        if self._stage is None:
            return 0
        quote = connection.ops.quote_name
        now = timezone.now()
        staged = [quote(column) for column in _STAGED_PRODUCT_FIELDS]
        products = quote(Product._meta.db_table)
        cursor, stage = self._cursor, self._stage.table
        cursor.execute(  # identifiers from the models' metadata, values as parameters
            f"INSERT INTO {products} (provider_id, admin_active, created_at, updated_at, "  # noqa: S608
            f"{', '.join(staged)}) SELECT %s, TRUE, %s, %s, {', '.join(staged)} "
            f"FROM {stage} ORDER BY position",
            [self.provider.pk, now, now],
        )
        created = cursor.rowcount
        retail, reseller = (tier.value for tier in _TIERS)
        cursor.execute(  # one row per tier with a price, in the order the pricer gives them
            f"INSERT INTO {quote(PriceChange._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(c) for c in _PRICE_CHANGE_COLUMNS)}) "
            "SELECT p.id, t.tier, NULL, t.price, s.history_cost, s.history_reason, %s "
            f"FROM {stage} AS s JOIN {products} AS p "
            "ON p.provider_id = %s AND p.provider_sku = s.provider_sku "
            "CROSS JOIN LATERAL (VALUES (1, %s, s.price_retail), (2, %s, s.price_reseller)) "
            "AS t(n, tier, price) WHERE t.price IS NOT NULL ORDER BY s.position, t.n",
            [now, self.provider.pk, retail, reseller],
        )
        self._stage.drop()
        self._cursor.close()
        self._stage = self._cursor = None
        self._staged = 0
        return created


def _history_of_new_product(retail, reseller, changes) -> tuple[Decimal | None, str]:
    """The cost and reason of a new product's PriceChange rows, which the merge writes for
    each tier with a price (the pricer's rows for a product without old prices)."""
    prices = zip(_TIERS, (retail, reseller), strict=True)
    priced_tiers = [tier.value for tier, price in prices if price is not None]
    if [change.tier for change in changes] != priced_tiers or len(
        {(change.cost, change.reason) for change in changes}
    ) > 1:
        raise AssertionError(f"unexpected price history of a new product: {changes}")
    if not changes:
        return None, ""
    return changes[0].cost, changes[0].reason


class StoredPricing(NamedTuple):
    """What repricing reads of a stored product, without a model instance."""

    pk: int
    provider_enabled: bool
    provider_code: str
    provider_out_of_balance_since: datetime | None
    provider_exchange_rate: Decimal
    brand_id: int
    category_id: int | None
    brand_category_id: int | None
    denomination_type: str
    cost: Decimal
    provider_active: bool
    admin_active: bool
    price_retail: Decimal | None
    price_reseller: Decimal | None
    unavailable_reason: str


_STORED_PRICING_LOOKUPS = {  # StoredPricing field -> ORM lookup
    "provider_enabled": "provider__enabled",
    "provider_code": "provider__code",
    "provider_out_of_balance_since": "provider__out_of_balance_since",
    "provider_exchange_rate": "provider__exchange_rate",
    "brand_category_id": "brand__category_id",
}


def reprice_batch_postgresql(
    *, product_ids: Sequence[int], reason: str, rules: Sequence[PricingRule]
) -> int:
    """`_reprice_batch` without model instances: the rows are read (locked, in pk order)
    as values, the changed ones written by one UPDATE and their history by one COPY."""
    locked = (
        Product.objects.select_for_update(of=("self",))
        .filter(pk__in=product_ids)
        .order_by("pk")
        .values_list(*(_STORED_PRICING_LOOKUPS.get(f, f) for f in StoredPricing._fields))
    )
    pricer = ProductPricer(rules=rules, reason=reason)
    now = timezone.now()
    updates = []
    history = []
    for product in map(StoredPricing._make, locked):
        provider_reason = provider_unavailable_reason(
            enabled=product.provider_enabled,
            code=product.provider_code,
            out_of_balance_since=product.provider_out_of_balance_since,
        )
        priced = pricer.price(
            unavailable=unavailable_reason_from_parts(
                provider_reason, product.provider_active, product.admin_active
            ),
            pk=product.pk,
            brand_id=product.brand_id,
            category_id=product.category_id or product.brand_category_id,
            flexible=product.denomination_type != DenominationType.FIXED,  # bills too: no price
            cost=product.cost,
            rate=product.provider_exchange_rate,
            old_retail=product.price_retail,
            old_reseller=product.price_reseller,
        )
        if priced.changes or priced.unavailable_reason != product.unavailable_reason:
            updates.append(
                (product.pk, priced.price_retail, priced.price_reseller,
                 priced.unavailable_reason, now)
            )  # fmt: skip
            history.extend((product.pk, *change, now) for change in priced.changes)
    if updates:
        update_rows_by_pk(Product, REPRICED_FIELDS, updates)
    if history:
        with connection.cursor() as cursor:
            copy_rows(cursor, PriceChange, _PRICE_CHANGE_COLUMNS, history)
    return len({row[0] for row in history})
