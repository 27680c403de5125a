"""Write a fetched price list in one transaction, set-based: one read of the provider's
products, `bulk_create` of the new ones (priced before they are written), `bulk_update` of
only the changed fields of the changed ones, one UPDATE for the vanished ones, then a bulk
reprice of the changed and vanished ones. A re-sync of an unchanged list writes no product
row. On PostgreSQL, without model instances: the new products are priced and staged by COPY
into a temporary table, then written by one INSERT for the products and one for their
price history (`NewProductStage`); the changed rows are staged by COPY and written by one
UPDATE (`update_rows_from_stage`). Other backends use the ORM's bulk writes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import (
    Brand,
    Category,
    DenominationType,
    InputSchema,
    Product,
    Provider,
)
from catalog.names import name_key
from catalog.selectors import active_pricing_rules
from catalog.services import (
    BULK_UPDATE_BATCH,
    NewProduct,
    NewProductStage,
    catalog_create_products,
    catalog_reprice_products,
    update_rows_from_stage,
)
from catalog.services.mapping import AutoMapCounts, shop_items_auto_map
from providers.sync.fetch import BrandSeed, PriceList

SyncProgress = Callable[[int, int], None]  # (items done, items in the price list)
BATCH_SIZE = 1000  # rows per bulk write, and most items between progress reports
COPY_BATCH_SIZE = 5000  # PostgreSQL: new products priced and staged per COPY


class _Fields(NamedTuple):
    """The Product fields a sync owns, as compared with what is stored."""

    brand_id: int
    category_id: int | None
    name: str
    description: str
    cost: Decimal
    cost_currency: str
    denomination_type: str
    min_amount: Decimal | None
    max_amount: Decimal | None
    provider_active: bool
    stock: int | None
    cutoff_start: time | None
    cutoff_end: time | None


@dataclass
class SyncCounts:
    """What a sync did to the provider's products (kept on its SyncRun)."""

    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    repriced: int = 0
    hidden: int = 0
    auto_map: AutoMapCounts | None = None  # None: auto-map off (new products are to map)


def price_list_write(
    provider: Provider,
    price_list: PriceList,
    progress: SyncProgress | None,
    *,
    auto_map: bool | None = None,
) -> SyncCounts:
    """Apply `price_list` to `provider`'s products, brands and categories; the caller holds
    the transaction (see `catalog_sync` for the guarantees). New products are unmapped
    (listed "to map" in the admin) unless `auto_map` (default: `CATALOG_AUTO_MAP`) maps
    them (`shop_items_auto_map`)."""
    if auto_map is None:
        auto_map = settings.CATALOG_AUTO_MAP
    # Products are priced with the provider as locked here: a concurrent change of it (an
    # admin's exchange rate, provider_mark_out_of_balance) waits for this transaction and
    # its own reprice then sees the products written here.
    provider = Provider.objects.select_for_update(no_key=True).get(pk=provider.pk)
    categories = _ensure_categories(price_list.categories)
    brands, recategorised = _ensure_brands(price_list.brands, categories)
    stored = _stored_products(provider)
    writer = _ProductWriter(provider=provider)
    unchanged = 0
    total = len(price_list.items)
    report_every = max(1, min(BATCH_SIZE, total // 20))
    for done, item in enumerate(price_list.items, start=1):
        brand = brands[item.brand_key]
        fields = _Fields(
            brand_id=brand.pk,
            category_id=categories.get(item.category_slug),
            name=item.name,
            description=item.description,
            cost=item.cost,
            cost_currency=item.currency,
            denomination_type=item.denomination_type,
            min_amount=item.min_amount,
            max_amount=item.max_amount,
            provider_active=item.active,
            stock=item.stock,
            cutoff_start=item.cutoff_start,
            cutoff_end=item.cutoff_end,
        )
        current = stored.pop(item.sku, None)  # what is left at the end has vanished
        if current is None:
            writer.create(sku=item.sku, fields=fields, brand=brand, face_value=item.face_value)
        elif current[1] != fields:
            writer.update(pk=current[0], old=current[1], new=fields)
        else:
            unchanged += 1
        if progress and (done % report_every == 0 or done == total):
            progress(done, total)
    writer.flush()
    mapped = shop_items_auto_map(provider=provider, since=writer.now) if auto_map else None
    # Bill types come from another list (the postpaid one, `bill_products_sync`): a price
    # list without them does not end them.
    vanished = [
        pk
        for pk, fields in stored.values()
        if fields.provider_active and fields.denomination_type != DenominationType.BILL
    ]
    deactivated = _deactivate(vanished, writer.now)
    repriced = catalog_reprice_products(
        products=[*writer.updated_ids, *vanished], reason=writer.reason, rules=writer.rules
    )
    if recategorised:
        # A brand that got its category picks another category rule for its products
        # without one of their own, whichever provider sells them: repriced after commit
        # (a batch per transaction), so this sync never holds another provider's rows.
        transaction.on_commit(
            lambda: catalog_reprice_products(
                products=list(
                    Product.objects.filter(brand_id__in=recategorised).values_list("pk", flat=True)
                ),
                reason=writer.reason,
            )
        )
    return SyncCounts(
        created=writer.created,
        updated=len(writer.updated_ids),
        deactivated=deactivated,
        unchanged=unchanged,
        repriced=writer.priced + repriced,
        hidden=_hidden_count(provider),
        auto_map=mapped,
    )


class _ProductWriter:
    """Buffers the products to create and update, and writes them in bulk, BATCH_SIZE rows
    at a time: new products are created already priced (`catalog_create_products`); an
    update writes only the fields that changed (rows are grouped by that set of fields).
    On PostgreSQL, without model instances: new products priced and staged COPY_BATCH_SIZE
    at a time, all written at `flush` by one INSERT per table (`NewProductStage`); changed
    rows staged and written at `flush` by one UPDATE (`update_rows_from_stage`)."""

    def __init__(self, *, provider: Provider):
        self.provider = provider
        self.fast = _stages_by_copy()
        self.batch_size = COPY_BATCH_SIZE if self.fast else BATCH_SIZE
        self.now = timezone.now()
        self.reason = f"sync of {provider.code}"
        self.rules = active_pricing_rules()
        self.created = 0
        self.priced = 0  # new products that got a stored price
        self.updated_ids: list[int] = []  # to reprice once their new fields are written
        self._to_create: list[Product | NewProduct] = []
        self._to_update: dict[tuple[str, ...], list[Product | tuple]] = {}
        self._changed_rows: list[tuple] = []  # PostgreSQL: (pk, *every synced field, now, now)
        self._new_products = (
            NewProductStage(provider=provider, reason=self.reason, rules=self.rules)
            if self.fast
            else None
        )

    def create(
        self, *, sku: str, fields: _Fields, brand: Brand, face_value: Decimal | None
    ) -> None:
        if self.fast:
            self._to_create.append(
                NewProduct(
                    provider_sku=sku,
                    brand_category_id=brand.category_id,
                    last_synced_at=self.now,
                    face_value=face_value,
                    **fields._asdict(),
                )
            )
            if len(self._to_create) >= self.batch_size:
                self._flush_creates()
            return
        product = Product(
            provider=self.provider,
            provider_sku=sku,
            last_synced_at=self.now,
            face_value=face_value,
            **fields._asdict(),
        )
        product.brand = brand  # cached, so pricing reads no brand row
        self._to_create.append(product)
        if len(self._to_create) >= BATCH_SIZE:
            self._flush_creates()

    def update(self, *, pk: int, old: _Fields, new: _Fields) -> None:
        self.updated_ids.append(pk)
        if self.fast:
            # Staged whole (rewriting an equal column costs nothing more: the row is rewritten).
            self._changed_rows.append((pk, *new, self.now, self.now))
            return
        changed = {
            name: value
            for name, value, was in zip(new._fields, new, old, strict=True)
            if value != was
        }
        group = self._to_update.setdefault(tuple(changed), [])
        # bulk_update does not run auto_now, hence updated_at here
        group.append(Product(pk=pk, last_synced_at=self.now, updated_at=self.now, **changed))
        if len(group) >= self.batch_size:
            self._flush_updates(tuple(changed))

    def flush(self) -> None:
        self._flush_creates()
        if self._new_products is not None:
            self._new_products.merge()
        for changed in list(self._to_update):
            self._flush_updates(changed)
        if self._changed_rows:
            update_rows_from_stage(
                Product, [*_Fields._fields, "last_synced_at", "updated_at"], self._changed_rows
            )
            self._changed_rows = []

    def _flush_creates(self) -> None:
        if not self._to_create:
            return
        if self._new_products is not None:
            self.priced += self._new_products.add(self._to_create)
            self.created += len(self._to_create)
            self._to_create = []
            return
        created = catalog_create_products(
            products=self._to_create, reason=self.reason, rules=self.rules
        )
        self.created += len(created)
        self.priced += sum(
            1 for p in created if p.price_retail is not None or p.price_reseller is not None
        )
        self._to_create = []

    def _flush_updates(self, changed: tuple[str, ...]) -> None:
        Product.objects.bulk_update(
            self._to_update.pop(changed),
            [*changed, "last_synced_at", "updated_at"],
            batch_size=BULK_UPDATE_BATCH,
        )


def _stages_by_copy() -> bool:
    """Whether new and changed products go through COPY stages (PostgreSQL)."""
    return connection.vendor == "postgresql"


def _stored_products(provider: Provider) -> dict[str, tuple[int, _Fields]]:
    """SKU → (pk, synced fields) of every product of `provider`, read in one query."""
    rows = (
        Product.objects.filter(provider=provider)
        .values_list("provider_sku", "pk", *_Fields._fields)
        .iterator(chunk_size=5000)
    )
    return {sku: (pk, _Fields(*fields)) for sku, pk, *fields in rows}


def _deactivate(product_ids: list[int], now: datetime) -> int:
    """Mark products provider-inactive: one UPDATE (split only where the backend caps the
    number of query parameters, as SQLite does)."""
    step = connection.features.max_query_params or len(product_ids) or 1
    return sum(
        Product.objects.filter(pk__in=product_ids[start : start + step]).update(
            provider_active=False, last_synced_at=now, updated_at=now
        )
        for start in range(0, len(product_ids), step)
    )


def _ensure_categories(names: dict[str, str]) -> dict[str, int]:
    """Slug → id of every category in `names`, creating the missing ones."""
    existing = dict(Category.objects.filter(slug__in=names).values_list("slug", "pk"))
    missing = [
        Category(name=name[:100], slug=slug) for slug, name in names.items() if slug not in existing
    ]
    if not missing:
        return existing
    # Another provider's sync may create the same category at the same moment.
    Category.objects.bulk_create(missing, ignore_conflicts=True)
    return dict(Category.objects.filter(slug__in=names).values_list("slug", "pk"))


def _ensure_brands(
    seeds: dict[str, BrandSeed], category_ids: dict[str, int]
) -> tuple[dict[str, Brand], list[int]]:
    """Brand key → brand of every brand in `seeds`, and the ids of existing brands that got
    a category now. A seed is the shop's brand whose name or slug has its key (case, spaces
    and punctuation ignored: "MOBILE LEGENDS" is "Mobile Legends") or one of whose aliases
    (`BrandAlias`) has it; other seeds become new brands. Existing brands only get their
    empty fields filled (category, image, description, and an input schema still at
    "other"), so what an admin set is kept."""
    existing = _brands_by_key(seeds)
    uncategorised = {brand.pk for brand in existing.values() if brand.category_id is None}
    filled = {
        brand.pk: brand
        for key, brand in existing.items()
        if _fill_empty_brand_fields(brand, seeds[key], category_ids)
    }
    recategorised = [
        pk for pk, b in filled.items() if pk in uncategorised and b.category_id is not None
    ]
    Brand.objects.bulk_update(
        list(filled.values()),
        ["category", "image_url", "description", "input_schema"],
        batch_size=BATCH_SIZE,
    )
    missing = [
        Brand(
            name=seed.name,
            slug=seed.slug,
            category_id=category_ids.get(seed.category_slug),
            image_url=seed.image_url,
            description=seed.description,
            input_schema=seed.input_schema or InputSchema.OTHER,
        )
        for key, seed in seeds.items()
        if key not in existing
    ]
    if not missing:
        return existing, recategorised
    # Another provider's sync may create the same brand at the same moment.
    Brand.objects.bulk_create(missing, ignore_conflicts=True)
    return _brands_by_key(seeds), recategorised


def _brands_by_key(seeds: dict[str, BrandSeed]) -> dict[str, Brand]:
    """Brand key → the shop's brand for the keys of `seeds` that have one: by alias first
    (staff's word), then by slug (what a sync created), then by name. Brands are few (some
    hundreds): read whole, with the aliases, in one query."""
    found: dict[str, Brand] = {}
    brands: dict[int, Brand] = {}
    # one row per brand and alias (a brand without one: once, alias_key NULL)
    for brand in Brand.objects.annotate(alias_key=F("aliases__key")).order_by("pk"):
        brands.setdefault(brand.pk, brand)
        if brand.alias_key in seeds:
            found[brand.alias_key] = brands[brand.pk]
    brands = list(brands.values())
    slugs = {seed.slug: key for key, seed in seeds.items()}
    for brand in brands:
        key = slugs.get(brand.slug)
        if key is not None:
            found.setdefault(key, brand)
    for brand in brands:  # in pk order: the oldest wins a tie
        for key in (name_key(brand.slug), name_key(brand.name)):
            if key in seeds:
                found.setdefault(key, brand)
    return found


def _fill_empty_brand_fields(brand: Brand, seed: BrandSeed, category_ids: dict[str, int]) -> bool:
    changed = False
    if brand.category_id is None and category_ids.get(seed.category_slug):
        brand.category_id = category_ids[seed.category_slug]
        changed = True
    for name in ("image_url", "description"):
        if not getattr(brand, name) and getattr(seed, name):
            setattr(brand, name, getattr(seed, name))
            changed = True
    if brand.input_schema == InputSchema.OTHER and seed.input_schema:
        brand.input_schema = seed.input_schema
        changed = True
    return changed


def _hidden_count(provider: Provider) -> int:
    """How many of `provider`'s products cannot be bought at any tier after the sync: a
    FIXED one without a stored price, a FLEXIBLE one with a reason not to sell it."""
    products = Product.objects.filter(provider=provider)
    if not provider.enabled:
        return products.count()
    for_sale = Q(provider_active=True, admin_active=True) & (
        Q(denomination_type=DenominationType.FLEXIBLE, unavailable_reason="")
        | Q(price_retail__isnull=False)
        | Q(price_reseller__isnull=False)
    )
    return products.exclude(for_sale).count()
