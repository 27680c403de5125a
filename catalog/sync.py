"""catalog_sync: one provider's price list into the catalog, in bulk.

The price list is fetched whole before anything is written, so a failed fetch changes
nothing. Writes are set-based: one read of the provider's products, `bulk_create` of the
new ones (priced before they are written), `bulk_update` of only the changed fields of the
changed ones, one UPDATE for the vanished ones, then a bulk reprice of the changed and
vanished ones. A re-sync of an unchanged list writes no product row. On PostgreSQL the new
products and their price history are written by COPY and the changed rows by
UPDATE ... FROM (VALUES ...), without model instances; other backends use the ORM's bulk
writes.
"""

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from catalog.models import (
    Brand,
    Category,
    DenominationType,
    InputSchema,
    Product,
    Provider,
    SyncRun,
)
from catalog.selectors import active_pricing_rules
from catalog.services import (
    BULK_UPDATE_BATCH,
    NewProduct,
    catalog_create_products,
    catalog_insert_products,
    catalog_reprice_products,
    update_rows_by_pk,
)
from providers import registry
from providers.base import CatalogItem, ProviderError, UpstreamAdapter
from providers.defaults import upstream_providers
from shop.errors import ApplicationError

logger = logging.getLogger(__name__)

SyncProgress = Callable[[int, int], None]  # (items done, items in the price list)

BATCH_SIZE = 1000  # rows per bulk write, and most items between progress reports
COPY_BATCH_SIZE = 5000  # PostgreSQL: rows per COPY of new products / UPDATE of changed ones
RUNNING_RUN_FRESH_FOR = timedelta(minutes=30)  # SQLite only: a RUNNING run older is stale
MAX_ERROR_LINES = 20  # item errors quoted in SyncRun.message (all are counted)

_COST_PLACES = Decimal("0.0001")  # Product.cost
_AMOUNT_PLACES = Decimal("0.01")  # Product.min_amount / max_amount
_COST_LIMIT = Decimal(10) ** 14  # 18 digits, 4 after the point
_AMOUNT_LIMIT = Decimal(10) ** 16  # 18 digits, 2 after the point
_SKU_LENGTH = Product._meta.get_field("provider_sku").max_length
_NAME_LENGTH = Product._meta.get_field("name").max_length
_DENOMINATION_TYPES = frozenset(DenominationType.values)  # `.values` rebuilds a list per call
_INPUT_SCHEMAS = frozenset(InputSchema.values)


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


class _Item(NamedTuple):
    """One validated price-list item, without its raw reply (memory stays bounded)."""

    sku: str
    brand_slug: str
    category_slug: str  # "" when the provider gives none
    name: str
    description: str
    cost: Decimal
    currency: str
    denomination_type: str
    min_amount: Decimal | None
    max_amount: Decimal | None
    active: bool


@dataclass
class _BrandSeed:
    """What a new brand starts with (and an existing one's empty fields are filled from):
    per field, the first non-empty value among the brand's items."""

    name: str
    category_slug: str = ""
    image_url: str = ""
    description: str = ""
    input_schema: str = ""


@dataclass
class _PriceList:
    items: list[_Item] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)  # slug → name
    brands: dict[str, _BrandSeed] = field(default_factory=dict)  # slug → seed
    errors: list[str] = field(default_factory=list)  # the first MAX_ERROR_LINES
    error_count: int = 0

    def add_error(self, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERROR_LINES:
            self.errors.append(message)


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0
    repriced: int = 0
    hidden: int = 0


def catalog_sync(
    *,
    provider: Provider,
    adapter: UpstreamAdapter | None = None,
    progress: SyncProgress | None = None,
) -> SyncRun:
    """Bring `provider`'s products in line with its price list; return the finished SyncRun.

    Guarantees:
    - One sync per provider at a time: ApplicationError(code="sync_running") otherwise
      (PostgreSQL: a session advisory lock on a connection of its own, held throughout;
      SQLite: a RUNNING SyncRun younger than 30 minutes refuses).
    - Any exception from the adapter (building it included, e.g. NotConfigured) records a
      FAILED run with the error and changes nothing else; it is not raised.
    - The writes are one transaction, with the provider row locked (FOR NO KEY UPDATE) so
      its exchange rate or balance state cannot change under the pricing: a database error
      records a FAILED run, changes no product, and is raised.
    - Items are matched by (provider, SKU); brands and categories by slugified name. New
      products are created already priced (`catalog_create_products`); changed ones get
      only their changed fields written, then are repriced with the vanished ones
      (`catalog_reprice_products`); unchanged ones are not written at all. Created and
      updated rows get `last_synced_at`. Products missing from the list become
      provider-inactive. An invalid item is counted as an error and treated as missing.
    - `progress(done, total)` is called with done=0 once the list is fetched, then at
      least every 5% of the items (every BATCH_SIZE items on long lists) and at the end.
    """
    with _exclusive_run(provider) as run:
        try:
            adapter = adapter or registry.get_adapter(provider.code)
            price_list = _fetch(provider, adapter)
        except Exception as exc:  # any adapter failure is recorded, not raised
            logger.warning("catalog sync of %s: fetch failed: %s", provider.code, exc)
            return _finish(run, SyncRun.Status.FAILED, message=f"fetch failed: {_describe(exc)}")
        if progress:
            progress(0, len(price_list.items))
        try:
            with transaction.atomic():
                counts = _apply(provider, price_list, progress)
        except Exception as exc:
            _finish(
                run,
                SyncRun.Status.FAILED,
                message=f"write failed, nothing was changed: {_describe(exc)}",
            )
            raise
        return _finish(
            run,
            SyncRun.Status.SUCCESS,
            counts=counts,
            errors=price_list.error_count,
            message=_summary(counts, price_list),
        )


def catalog_sync_all() -> list[SyncRun]:
    """Sync every enabled upstream provider in turn (the scheduled job); return the runs.
    A failed sync is a FAILED run and a sync already running is skipped: neither stops the
    others."""
    runs = []
    for provider in upstream_providers():
        try:
            runs.append(catalog_sync(provider=provider))
        except ApplicationError as exc:
            logger.info("catalog sync of %s skipped: %s", provider.code, exc.message)
        except Exception:  # recorded as a FAILED run already; the next provider still syncs
            logger.exception("catalog sync of %s failed", provider.code)
    return runs


def sync_run_summary(run: SyncRun) -> str:
    """One line about a finished run, for commands and logs."""
    first_line = next(iter(run.message.splitlines()), "")
    if run.status != SyncRun.Status.SUCCESS:
        return f"{run.provider.code}: {run.status}: {first_line}"
    took = (run.finished_at - run.started_at).total_seconds()
    return (
        f"{run.provider.code}: {run.status} in {took:.1f}s: created {run.created}, "
        f"updated {run.updated}, deactivated {run.deactivated}, hidden {run.hidden}; "
        f"{first_line}"
    )


# --- one sync at a time ------------------------------------------------------------------


@contextmanager
def _exclusive_run(provider: Provider) -> Iterator[SyncRun]:
    """A new RUNNING SyncRun of `provider`, while no other sync of it runs."""
    if not _has_advisory_locks():
        yield _claim_with_running_row(provider)
        return
    with _advisory_lock(provider.code):
        yield SyncRun.objects.create(provider=provider)


def _has_advisory_locks() -> bool:
    return connection.vendor == "postgresql"


def sync_lock_key(code: str) -> int:
    """The advisory lock key of `code`'s sync: stable across processes and releases."""
    digest = hashlib.blake2b(f"catalog_sync:{code}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def _advisory_lock(code: str) -> Iterator[None]:
    """Hold `pg_try_advisory_lock` on a connection of its own, so neither the sync's
    transactions nor a reconnect of the main connection can drop it; released in finally
    (and by PostgreSQL itself if the process dies)."""
    key = sync_lock_key(code)
    lock_connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with lock_connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            (acquired,) = cursor.fetchone()
        if not acquired:
            raise _already_running(code)
        try:
            yield
        finally:
            try:
                with lock_connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:  # the session is gone, and the lock with it
                logger.warning("could not unlock the catalog sync of %s", code, exc_info=True)
    finally:
        lock_connection.close()


def _claim_with_running_row(provider: Provider) -> SyncRun:
    """Without advisory locks (SQLite): refuse while a fresh RUNNING run exists. The check
    and the insert share one transaction, which SQLite's IMMEDIATE mode serializes."""
    with transaction.atomic():
        fresh_since = timezone.now() - RUNNING_RUN_FRESH_FOR
        running = SyncRun.objects.filter(
            provider=provider, status=SyncRun.Status.RUNNING, started_at__gte=fresh_since
        )
        if running.exists():
            raise _already_running(provider.code)
        return SyncRun.objects.create(provider=provider)


def _already_running(code: str) -> ApplicationError:
    return ApplicationError(f"A sync of {code} is already running.", code="sync_running")


def _finish(
    run: SyncRun,
    status: str,
    *,
    counts: _Counts | None = None,
    errors: int = 0,
    message: str,
) -> SyncRun:
    counts = counts or _Counts()
    run.status = status
    run.finished_at = timezone.now()
    run.created, run.updated, run.deactivated = counts.created, counts.updated, counts.deactivated
    run.unchanged, run.hidden = counts.unchanged, counts.hidden
    run.errors = errors
    run.message = message
    run.save()
    return run


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ProviderError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


def _summary(counts: _Counts, price_list: _PriceList) -> str:
    """SyncRun.message: counts the model has no field for, then the first item errors."""
    lines = [
        f"unchanged {counts.unchanged}, errors {price_list.error_count}, "
        f"prices changed {counts.repriced}"
    ]
    lines.extend(price_list.errors)
    if price_list.error_count > len(price_list.errors):
        lines.append(f"... and {price_list.error_count - len(price_list.errors)} more errors")
    return "\n".join(lines)


# --- fetch and validate --------------------------------------------------------------------


def _fetch(provider: Provider, adapter: UpstreamAdapter) -> _PriceList:
    """The whole price list, validated, keeping only what the sync writes."""
    price_list = _PriceList()
    seen: set[str] = set()
    for raw_item in adapter.fetch_catalog():
        try:
            item = _validated(raw_item, provider)
        except ValueError as exc:
            price_list.add_error(f"item {raw_item.sku!r}: {exc}")
            continue
        if item.sku in seen:
            price_list.add_error(f"item {item.sku!r}: listed twice, the first one is used")
            continue
        seen.add(item.sku)
        price_list.items.append(item)
        if item.category_slug:
            price_list.categories.setdefault(item.category_slug, str(raw_item.category).strip())
        _add_brand_seed(price_list.brands, item, raw_item)
    return price_list


def _validated(item: CatalogItem, provider: Provider) -> _Item:
    """`item` as the sync stores it; ValueError saying what is wrong with it."""
    sku = str(item.sku or "").strip()
    if not sku or len(sku) > _SKU_LENGTH:
        raise ValueError(f"the SKU is empty or longer than {_SKU_LENGTH} characters")
    brand_slug = _slug(item.brand)
    if not brand_slug:
        raise ValueError("no brand")
    currency = str(item.currency or "").upper()
    if currency != provider.currency:
        raise ValueError(f"currency {currency} differs from the provider's {provider.currency}")
    if item.denomination_type not in _DENOMINATION_TYPES:
        raise ValueError(f"unknown denomination type {item.denomination_type!r}")
    cost = _decimal(item.cost, _COST_PLACES, _COST_LIMIT, "cost")
    min_amount = _decimal(item.min_amount, _AMOUNT_PLACES, _AMOUNT_LIMIT, "min_amount")
    max_amount = _decimal(item.max_amount, _AMOUNT_PLACES, _AMOUNT_LIMIT, "max_amount")
    if item.denomination_type == DenominationType.FLEXIBLE and (
        min_amount is None or max_amount is None or min_amount > max_amount
    ):
        raise ValueError("a flexible item needs min_amount <= max_amount")
    return _Item(
        sku=sku,
        brand_slug=brand_slug,
        category_slug=_slug(item.category),
        name=(str(item.name or "").strip() or sku)[:_NAME_LENGTH],
        description=str(item.description or ""),
        cost=cost,
        currency=currency,
        denomination_type=str(item.denomination_type),
        min_amount=min_amount,
        max_amount=max_amount,
        active=bool(item.active),
    )


def _decimal(value, places: Decimal, limit: Decimal, name: str) -> Decimal | None:
    """`value` rounded to the column's places; ValueError when negative or too large."""
    if value is None:
        if name == "cost":
            raise ValueError("no cost")
        return None
    try:
        number = Decimal(str(value)).quantize(places)
    except InvalidOperation:
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not 0 <= number < limit:
        raise ValueError(f"{name} {value} is out of range")
    return number


@functools.lru_cache(maxsize=10_000)  # a price list repeats a few hundred names
def _slug(name: str) -> str:
    """The slug a brand or category is matched by; names without a Latin letter or digit
    get a stable hash instead, so they are kept apart."""
    name = str(name or "").strip()
    if not name:
        return ""
    slug = slugify(name)[:100].strip("-")
    return slug or "x-" + hashlib.blake2b(name.encode(), digest_size=6).hexdigest()


def _add_brand_seed(seeds: dict[str, _BrandSeed], item: _Item, raw: CatalogItem) -> None:
    seed = seeds.get(item.brand_slug)
    if seed is None:
        seed = seeds[item.brand_slug] = _BrandSeed(name=str(raw.brand).strip()[:100])
    image_url = str(raw.brand_image_url or "")
    input_schema = raw.input_schema if raw.input_schema in _INPUT_SCHEMAS else ""
    candidates = {
        "category_slug": item.category_slug,
        "image_url": image_url if len(image_url) <= 200 else "",  # Brand.image_url length
        "description": item.description,
        "input_schema": "" if input_schema == InputSchema.OTHER else input_schema,
    }
    for name, value in candidates.items():
        if value and not getattr(seed, name):
            setattr(seed, name, value)


# --- write ---------------------------------------------------------------------------------


def _apply(provider: Provider, price_list: _PriceList, progress: SyncProgress | None) -> _Counts:
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
        brand = brands[item.brand_slug]
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
        )
        current = stored.pop(item.sku, None)  # what is left at the end has vanished
        if current is None:
            writer.create(sku=item.sku, fields=fields, brand=brand)
        elif current[1] != fields:
            writer.update(pk=current[0], old=current[1], new=fields)
        else:
            unchanged += 1
        if progress and (done % report_every == 0 or done == total):
            progress(done, total)
    writer.flush()
    vanished = [pk for pk, fields in stored.values() if fields.provider_active]
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
    return _Counts(
        created=writer.created,
        updated=len(writer.updated_ids),
        deactivated=deactivated,
        unchanged=unchanged,
        repriced=writer.priced + repriced,
        hidden=_hidden_count(provider),
    )


class _ProductWriter:
    """Buffers the products to create and update, and writes them in bulk, BATCH_SIZE rows
    at a time: new products are created already priced (`catalog_create_products`); an
    update writes only the fields that changed (rows are grouped by that set of fields).
    On PostgreSQL, COPY_BATCH_SIZE rows at a time, without model instances: new products by
    COPY (`catalog_insert_products`), updates by UPDATE ... FROM (VALUES ...)."""

    def __init__(self, *, provider: Provider):
        self.provider = provider
        self.fast = connection.vendor == "postgresql"
        self.batch_size = COPY_BATCH_SIZE if self.fast else BATCH_SIZE
        self.now = timezone.now()
        self.reason = f"sync of {provider.code}"
        self.rules = active_pricing_rules()
        self.created = 0
        self.priced = 0  # new products that got a stored price
        self.updated_ids: list[int] = []  # to reprice once their new fields are written
        self._to_create: list[Product | NewProduct] = []
        self._to_update: dict[tuple[str, ...], list[Product | tuple]] = {}

    def create(self, *, sku: str, fields: _Fields, brand: Brand) -> None:
        if self.fast:
            self._to_create.append(
                NewProduct(sku, fields.brand_id, brand.category_id, *fields[1:], self.now)
            )
            if len(self._to_create) >= self.batch_size:
                self._flush_creates()
            return
        product = Product(
            provider=self.provider, provider_sku=sku, last_synced_at=self.now, **fields._asdict()
        )
        product.brand = brand  # cached, so pricing reads no brand row
        self._to_create.append(product)
        if len(self._to_create) >= BATCH_SIZE:
            self._flush_creates()

    def update(self, *, pk: int, old: _Fields, new: _Fields) -> None:
        changed = {
            name: value
            for name, value, was in zip(new._fields, new, old, strict=True)
            if value != was
        }
        group = self._to_update.setdefault(tuple(changed), [])
        if self.fast:
            group.append((pk, *changed.values(), self.now, self.now))
        else:
            # bulk_update does not run auto_now, hence updated_at here
            group.append(Product(pk=pk, last_synced_at=self.now, updated_at=self.now, **changed))
        self.updated_ids.append(pk)
        if len(group) >= self.batch_size:
            self._flush_updates(tuple(changed))

    def flush(self) -> None:
        self._flush_creates()
        for changed in list(self._to_update):
            self._flush_updates(changed)

    def _flush_creates(self) -> None:
        if not self._to_create:
            return
        if self.fast:
            self.priced += catalog_insert_products(
                provider=self.provider,
                products=self._to_create,
                reason=self.reason,
                rules=self.rules,
            )
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
        if self.fast:
            update_rows_by_pk(
                Product, [*changed, "last_synced_at", "updated_at"], self._to_update.pop(changed)
            )
            return
        Product.objects.bulk_update(
            self._to_update.pop(changed),
            [*changed, "last_synced_at", "updated_at"],
            batch_size=BULK_UPDATE_BATCH,
        )


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
    seeds: dict[str, _BrandSeed], category_ids: dict[str, int]
) -> tuple[dict[str, Brand], list[int]]:
    """Slug → brand of every brand in `seeds`, and the ids of existing brands that got a
    category now: new brands are created from their seed; existing ones only get their
    empty fields filled (category, image, description, and an input schema still at
    "other"), so what an admin set is kept."""
    existing = {brand.slug: brand for brand in Brand.objects.filter(slug__in=seeds)}
    uncategorised = {brand.pk for brand in existing.values() if brand.category_id is None}
    filled = [
        brand
        for slug, brand in existing.items()
        if _fill_empty_brand_fields(brand, seeds[slug], category_ids)
    ]
    recategorised = [b.pk for b in filled if b.pk in uncategorised and b.category_id is not None]
    Brand.objects.bulk_update(
        filled, ["category", "image_url", "description", "input_schema"], batch_size=BATCH_SIZE
    )
    missing = [
        Brand(
            name=seed.name,
            slug=slug,
            category_id=category_ids.get(seed.category_slug),
            image_url=seed.image_url,
            description=seed.description,
            input_schema=seed.input_schema or InputSchema.OTHER,
        )
        for slug, seed in seeds.items()
        if slug not in existing
    ]
    if not missing:
        return existing, recategorised
    # Another provider's sync may create the same brand at the same moment.
    Brand.objects.bulk_create(missing, ignore_conflicts=True)
    return {brand.slug: brand for brand in Brand.objects.filter(slug__in=seeds)}, recategorised


def _fill_empty_brand_fields(brand: Brand, seed: _BrandSeed, category_ids: dict[str, int]) -> bool:
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
