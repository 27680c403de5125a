"""PostgreSQL fast paths of pricing: COPY for new products, UPDATE ... FROM (VALUES ...) for
changed ones, each priced by `ProductPricer` from plain values (no model instances)."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from catalog.models import DenominationType, PriceChange, PricingRule, Product, Provider
from catalog.selectors import active_pricing_rules
from catalog.services.pricing import (
    REPRICED_FIELDS,
    ProductPricer,
    provider_unavailable_reason,
    unavailable_reason_from_parts,
)
from catalog.services.sql import copy_rows, update_rows_by_pk


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
    pricer = ProductPricer(rules=rules, reason=reason)
    provider_reason = provider_unavailable_reason(
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
            unavailable=unavailable_reason_from_parts(
                provider_reason, product.provider_active, True
            ),
            pk=None,
            brand_id=product.brand_id,
            category_id=product.category_id or product.brand_category_id,
            flexible=product.denomination_type != DenominationType.FIXED,  # bills too: no price
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
        copy_rows(cursor, Product, _NEW_PRODUCT_COLUMNS, rows)
        del rows
        cursor.execute(  # identifiers from the model's metadata, values as parameters
            f"SELECT provider_sku, id FROM {connection.ops.quote_name(Product._meta.db_table)} "  # noqa: S608
            "WHERE provider_id = %s AND provider_sku = ANY(%s)",
            [provider.pk, [product.provider_sku for product in products]],
        )
        ids = dict(cursor.fetchall())
        copy_rows(
            cursor,
            PriceChange,
            _PRICE_CHANGE_COLUMNS,
            ((ids[sku], *change, now) for sku, changes in changes_by_sku for change in changes),
        )
    return priced


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
