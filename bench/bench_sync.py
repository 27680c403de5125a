"""catalog_sync against the naive sync: one `update_or_create` per item, as the seed does.

A Digiflazz-like price list of 50,000 items is built in memory and synced three times:
first sync, unchanged re-sync, re-sync with 10% of the prices changed. Each step is timed
next to two naive baselines run on the first NAIVE_ITEMS items of the same list (50,000 would
take minutes) and compared per item:
- "seed": per item, get_or_create the category and brand, price in memory and
  `update_or_create` the product. It keeps no price history, so it does less than
  catalog_sync does.
- "same work": the seed's loop plus `catalog_reprice_product` per item, which stores the
  same prices and PriceChange history as catalog_sync (the bench checks that it does).
The goal (>= 20x) is judged against "same work". Also prints the memory the sync takes, the
number of product rows the unchanged re-sync writes (goal 0), and the first sync against a
plain COPY of the rows it wrote (its products and their price history, in one committed
transaction; goal <= 2x). Last, CATALOG_AUTO_MAP's cost: a first sync that maps every new
product (one provider's list: an item each; a second provider's same list: each linked to
the first's item of its brand and face value), set-based in SQL, next to the first sync
without it (goal <= 2x).
"""

import random
import resource
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ITEMS = 50_000
NAIVE_ITEMS = 2_000
CHANGED_SHARE = 10  # percent of the prices changed in the third step
GOAL_RATIO = 20
GOAL_COPY_RATIO = 2
GOAL_AUTO_MAP_RATIO = 2
MEMORY_LIMIT_MB = 300

_CATEGORIES = ["Games", "Pulsa", "Data", "E-Money", "PLN", "Voucher", "Streaming", "Masa Aktif"]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench._setup import setup_django_with_scratch_database

    setup_django_with_scratch_database("bench_sync")

    from catalog.models import PricingRule, PricingScope, Provider
    from providers.defaults import provider_ensure
    from shop.models import PriceTier

    PricingRule.objects.create(
        scope=PricingScope.GLOBAL,
        tier=PriceTier.RETAIL,
        percent=Decimal("3"),
        rounding_step=Decimal("100"),
    )
    PricingRule.objects.create(
        scope=PricingScope.GLOBAL, tier=PriceTier.RESELLER, percent=Decimal("1.5")
    )
    ours = provider_ensure("digiflazz")
    seed = Provider.objects.create(code="naive-seed", name="Seed", kind="upstream")
    same_work = Provider.objects.create(code="naive-same", name="Same", kind="upstream")

    items = price_list(ITEMS)
    changed = with_changed_prices(items)
    print(
        f"price list: {ITEMS:,} Digiflazz-like items; naive baselines on the first "
        f"{NAIVE_ITEMS:,} of them, compared per item"
    )
    print(
        f"{'step':34}{'catalog_sync':>22}{'naive seed':>22}{'naive same work':>26}"
        f"{'product rows written':>22}"
    )
    rss_before = _max_rss_mb()
    ratios, written = [], []
    for label, step_items in [
        ("first sync", items),
        ("unchanged re-sync", items),
        (f"re-sync, {CHANGED_SHARE}% of prices changed", changed),
    ]:
        versions = product_row_versions(ours)
        our_seconds = timed(lambda step_items=step_items: sync_bulk(ours, step_items))
        written.append(rows_written_since(ours, versions))
        rss_after = _max_rss_mb()
        naive_items = step_items[:NAIVE_ITEMS]
        seed_seconds = timed(lambda n=naive_items: sync_naive(seed, n, history=False))
        same_seconds = timed(lambda n=naive_items: sync_naive(same_work, n, history=True))
        our_rate = len(step_items) / our_seconds
        seed_rate, same_rate = NAIVE_ITEMS / seed_seconds, NAIVE_ITEMS / same_seconds
        ratios.append(our_rate / same_rate)
        if label == "first sync":
            first_rate = our_rate
        print(
            f"{label:34}{our_rate:>13,.0f} items/s"
            f"{seed_rate:>8,.0f} /s {our_rate / seed_rate:5.1f}x"
            f"{same_rate:>12,.0f} /s {our_rate / same_rate:7.1f}x{written[-1]:>22,}"
        )
    first_sync_seconds = ITEMS / first_rate
    copy_products, copy_all = copy_baseline(ours)
    print(
        f"first sync of {ITEMS:,} items: {first_sync_seconds:.2f} s; COPY of the same rows in "
        f"one transaction: products {copy_products:.2f} s, products and their price history "
        f"{copy_all:.2f} s; ratio {first_sync_seconds / copy_all:.1f}x the rows it writes "
        f"({first_sync_seconds / copy_products:.1f}x the products alone); goal <= "
        f"{GOAL_COPY_RATIO}x: {_verdict(first_sync_seconds / copy_all <= GOAL_COPY_RATIO)}"
    )
    auto_map_ratio = auto_map_steps(first_rate)
    same_result = same_prices_and_history(ours, same_work, items[:NAIVE_ITEMS])
    print(f"catalog_sync and 'same work' stored the same prices and history: {same_result}")
    peak_mb = traced_peak_mb(items, changed)
    print(
        f"memory: a sync of {ITEMS:,} items allocates at most {peak_mb:,.0f} MB "
        f"(tracemalloc peak, the price list itself excluded); the three syncs raised the "
        f"process's peak RSS by {rss_after - rss_before:,.0f} MB to {rss_after:,.0f} MB"
    )
    print(
        f"goals: >= {GOAL_RATIO}x against 'same work' on every step: "
        f"{_verdict(min(ratios) >= GOAL_RATIO)} (lowest {min(ratios):.1f}x); "
        f"product rows written by the unchanged re-sync: {written[1]} "
        f"({_verdict(written[1] == 0)}); memory under {MEMORY_LIMIT_MB} MB: "
        f"{_verdict(peak_mb < MEMORY_LIMIT_MB and rss_after < MEMORY_LIMIT_MB)}; first sync "
        f"with auto-map <= {GOAL_AUTO_MAP_RATIO}x without: "
        f"{_verdict(auto_map_ratio <= GOAL_AUTO_MAP_RATIO)} ({auto_map_ratio:.2f}x)"
    )


def auto_map_steps(first_rate: float) -> float:
    """Time two first syncs with auto-map on a list whose names carry a face value (the
    first creates an item per product, the second links each); print them, check every
    product got mapped, and return the slower one's time over a first sync's without."""
    from dataclasses import replace

    from catalog.models import Product, Provider

    items = [replace(item, name=f"{item.name} Diamonds") for item in price_list(ITEMS)]
    ratios = []
    for code, what in (("automap-a", "an item each"), ("automap-b", "each linked")):
        provider = Provider.objects.create(code=code, name=code, kind="upstream")
        seconds = timed(lambda p=provider: sync_bulk(p, items, auto_map=True))
        mapped = Product.objects.filter(provider=provider, shop_item__isnull=False).count()
        assert mapped == ITEMS, f"{code}: {mapped} of {ITEMS} mapped"
        ratios.append(seconds * first_rate / ITEMS)
        print(
            f"first sync with auto-map ({what}): {ITEMS / seconds:,.0f} items/s, "
            f"{ratios[-1]:.2f}x the first sync's time without"
        )
    return max(ratios)


def price_list(count: int) -> list:
    """`count` items shaped like Digiflazz's price list (raw reply kept, as adapters do)."""
    from providers.base import CatalogItem

    rng = random.Random(42)
    items = []
    for n in range(count):
        category = _CATEGORIES[n % len(_CATEGORIES)]
        brand = f"{category} Brand {n % 250}"
        price = Decimal(rng.randrange(1_000, 2_000_000, 25))
        sku = f"SKU{n:06d}"
        raw = {
            "product_name": f"{brand} {n}",
            "category": category,
            "brand": brand,
            "type": "Umum",
            "seller_name": "DIGIFLAZZ",
            "price": int(price),
            "buyer_sku_code": sku,
            "buyer_product_status": True,
            "seller_product_status": True,
            "unlimited_stock": False,
            "stock": 9999999,
            "multi": False,
            "start_cut_off": "00:00",
            "end_cut_off": "23:59",
            "desc": f"{brand} {n}\nMasukkan User ID & Zone ID\nProses 1-3 menit",
        }
        items.append(
            CatalogItem(
                sku=sku,
                name=raw["product_name"],
                brand=brand,
                category=category,
                cost=price,
                currency="IDR",
                active=True,
                description=raw["desc"],
                input_schema="game_zone" if category == "Games" else "phone",
                raw=raw,
            )
        )
    return items


def with_changed_prices(items: list) -> list:
    """The same list with every (100 / CHANGED_SHARE)-th item's price raised by 500."""
    from dataclasses import replace

    step = 100 // CHANGED_SHARE
    return [
        replace(item, cost=item.cost + 500) if n % step == 0 else item
        for n, item in enumerate(items)
    ]


class _ListAdapter:
    """Serves a prepared list: the adapter boundary is the CatalogItem dataclass."""

    def __init__(self, items: list):
        self.items = items

    def fetch_catalog(self) -> list:
        return self.items


def sync_bulk(provider, items: list, *, auto_map: bool = False) -> None:
    from catalog.models import SyncRun
    from providers.sync import catalog_sync

    run = catalog_sync(provider=provider, adapter=_ListAdapter(items), auto_map=auto_map)
    assert run.status == SyncRun.Status.SUCCESS, run.message


def sync_naive(provider, items: list, *, history: bool) -> None:
    """The seed's loop (see the module docstring); `history` adds catalog_reprice_product."""
    from django.utils import timezone
    from django.utils.text import slugify

    from catalog.models import Brand, Category, Product
    from catalog.selectors import active_pricing_rules
    from catalog.services import catalog_price_for, catalog_reprice_product
    from shop.models import PriceTier

    rules = active_pricing_rules()
    for item in items:
        category, _ = Category.objects.get_or_create(
            slug=slugify(item.category), defaults={"name": item.category}
        )
        brand, _ = Brand.objects.get_or_create(
            slug=slugify(item.brand), defaults={"name": item.brand, "category": category}
        )
        fields = {
            "brand": brand,
            "category": category,
            "name": item.name,
            "description": item.description,
            "cost": item.cost,
            "cost_currency": item.currency,
            "provider_active": item.active,
            "last_synced_at": timezone.now(),
        }
        if history:
            product, _ = Product.objects.update_or_create(
                provider=provider, provider_sku=item.sku, defaults=fields
            )
            catalog_reprice_product(product=product, reason="naive sync", rules=rules)
            continue
        priced = Product(provider=provider, **fields)
        prices = {
            "price_retail": catalog_price_for(product=priced, tier=PriceTier.RETAIL, rules=rules),
            "price_reseller": catalog_price_for(
                product=priced, tier=PriceTier.RESELLER, rules=rules
            ),
        }
        Product.objects.update_or_create(
            provider=provider,
            provider_sku=item.sku,
            defaults={**fields, **{field: quote.price for field, quote in prices.items()}},
        )


def same_prices_and_history(ours, naive, items: list) -> str:
    """Whether both providers hold the same prices and price history for `items`."""
    from catalog.models import PriceChange, Product

    skus = [item.sku for item in items]

    def state(provider):
        products = Product.objects.filter(provider=provider, provider_sku__in=skus)
        prices = set(products.values_list("provider_sku", "price_retail", "price_reseller"))
        history = set(
            PriceChange.objects.filter(product__in=products).values_list(
                "product__provider_sku", "tier", "old_price", "new_price"
            )
        )
        return prices, history

    return "yes" if state(ours) == state(naive) else "NO"


def copy_baseline(provider) -> tuple[float, float]:
    """Seconds to COPY `provider`'s product rows (all their columns, under a provider of
    their own), alone and then with their price history, each in one committed transaction
    (deferred foreign keys checked): the floor under a first sync writing the same rows."""
    from django.db import connection, transaction

    from catalog.models import PriceChange, Product, Provider

    columns = [
        field.column
        for field in Product._meta.concrete_fields
        if field.column not in ("id", "provider_id")
    ]
    history_columns = ["tier", "old_price", "new_price", "cost", "reason", "changed_at"]
    products = list(Product.objects.filter(provider=provider).values_list("pk", *columns))
    history = list(
        PriceChange.objects.filter(product__provider=provider)
        .order_by("pk")
        .values_list("product_id", *history_columns)
    )
    sku_of = {pk: values[columns.index("provider_sku")] for pk, *values in products}
    quote = connection.ops.quote_name
    timings = []
    for with_history in (False, True):
        baseline = Provider.objects.create(
            code=f"copy-{int(with_history)}", name="COPY baseline", kind="upstream"
        )
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.copy(
                f"COPY catalog_product (provider_id, {', '.join(map(quote, columns))}) FROM STDIN"
            ) as copy:
                for _pk, *values in products:
                    copy.write_row((baseline.pk, *values))
            if with_history:
                cursor.execute(
                    "SELECT provider_sku, id FROM catalog_product WHERE provider_id = %s",
                    [baseline.pk],
                )
                new_ids = dict(cursor.fetchall())
                with cursor.copy(
                    "COPY catalog_pricechange (product_id, "
                    f"{', '.join(map(quote, history_columns))}) FROM STDIN"
                ) as copy:
                    for product_id, *values in history:
                        copy.write_row((new_ids[sku_of[product_id]], *values))
        timings.append(time.perf_counter() - started)
    return timings[0], timings[1]


def traced_peak_mb(items: list, changed: list) -> float:
    """Peak Python allocations of one sync: the larger of a first sync of `items` into a
    fresh provider and its re-sync with `changed` (which also holds the stored products)."""
    from catalog.models import Provider

    provider = Provider.objects.create(code="traced", name="Traced", kind="upstream")
    peaks = []
    for step_items in (items, changed):
        tracemalloc.start()
        try:
            sync_bulk(provider, step_items)
            peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
        finally:
            tracemalloc.stop()
    return max(peaks)


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def product_row_versions(provider) -> dict[int, str]:
    """Each of `provider`'s product rows' xmin: any INSERT or UPDATE of a row changes it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, xmin::text FROM catalog_product WHERE provider_id = %s", [provider.pk]
        )
        return dict(cursor.fetchall())


def rows_written_since(provider, before: dict[int, str]) -> int:
    after = product_row_versions(provider)
    return sum(1 for pk, version in after.items() if before.get(pk) != version)


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    main()
