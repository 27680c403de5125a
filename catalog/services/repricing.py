"""Storing prices through the ORM: reprice one product, all of them, or many in batches,
and create new products already priced."""

from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.utils import timezone

from catalog.models import PriceChange, PricingRule, Product, Provider, ShopItem
from catalog.selectors import active_pricing_rules, stored_price_field
from catalog.services.bulk import reprice_batch_postgresql
from catalog.services.items import catalog_reprice_items, catalog_reprice_items_of_products
from catalog.services.pricing import REPRICED_FIELDS, reprice_in_memory


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
    `rules`: see `pricing_rule_for`. The shop item the product is a route of is repriced
    after it (`catalog_reprice_items`), as is the one it was a route of when the caller's
    instance still names another.
    """
    repriced, _ = _reprice(product_id=product.pk, reason=reason, rules=rules)
    catalog_reprice_items(
        items={pk for pk in (repriced.shop_item_id, product.shop_item_id) if pk is not None}
    )
    for field in REPRICED_FIELDS:
        setattr(product, field, getattr(repriced, field))
    return repriced


def catalog_reprice_all(*, provider: Provider | None = None, reason: str = "") -> int:
    """Reprice every product (or only `provider`'s); return how many changed a stored price.

    Each product is repriced in its own transaction (one row lock at a time, in pk order),
    with the active rules read once; then the shop items they are routes of
    (`catalog_reprice_items`, every item when `provider` is None).
    """
    rules = active_pricing_rules()
    products = Product.objects.order_by("pk")
    if provider is not None:
        products = products.filter(provider=provider)
    changed = sum(
        _reprice(product_id=product_id, reason=reason, rules=rules)[1]
        for product_id in products.values_list("pk", flat=True)
    )
    if provider is None:
        catalog_reprice_items(items=ShopItem.objects.values_list("pk", flat=True), rules=rules)
    else:
        catalog_reprice_items_of_products(provider_id=provider.pk)
    return changed


@transaction.atomic
def _reprice(
    *, product_id: int, reason: str, rules: Sequence[PricingRule] | None
) -> tuple[Product, bool]:
    product = (
        Product.objects.select_related("provider", "brand")
        .select_for_update(of=("self",))
        .get(pk=product_id)
    )
    changes, unavailable_reason = reprice_in_memory(product=product, reason=reason, rules=rules)
    PriceChange.objects.bulk_create(changes)
    price_changed = bool(changes)
    if price_changed or unavailable_reason != product.unavailable_reason:
        product.unavailable_reason = unavailable_reason
        product.save(update_fields=REPRICED_FIELDS)
    return product, price_changed


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
        changes, unavailable_reason = reprice_in_memory(product=product, reason=reason, rules=rules)
        product.unavailable_reason = unavailable_reason
        price_changes.extend(changes)
    with transaction.atomic():
        created = Product.objects.bulk_create(products)
        PriceChange.objects.bulk_create(price_changes)  # product ids are known by now
    item_ids = {product.shop_item_id for product in created if product.shop_item_id}
    catalog_reprice_items(items=item_ids, rules=rules)
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
    changed = 0
    item_ids: set[int] = set()
    for start in range(0, len(product_ids), batch_size):
        batch = product_ids[start : start + batch_size]
        changed += _reprice_batch(product_ids=batch, reason=reason, rules=rules)
        item_ids.update(
            Product.objects.filter(pk__in=batch, shop_item__isnull=False).values_list(
                "shop_item_id", flat=True
            )
        )
    catalog_reprice_items(items=item_ids, rules=rules)
    return changed


@transaction.atomic
def _reprice_batch(*, product_ids: Sequence[int], reason: str, rules: Sequence[PricingRule]) -> int:
    if connection.vendor == "postgresql":
        return reprice_batch_postgresql(product_ids=product_ids, reason=reason, rules=rules)
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
        changes, unavailable_reason = reprice_in_memory(product=product, reason=reason, rules=rules)
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
