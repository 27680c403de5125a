"""catalog_sync against a small in-test adapter: the adapter boundary is the CatalogItem
dataclass, everything behind it (PostgreSQL, pricing, locks) is real."""

import threading
from collections.abc import Iterable, Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import (
    Brand,
    Category,
    DenominationType,
    InputSchema,
    PriceChange,
    Product,
    SyncRun,
)
from catalog.services import (
    BULK_UPDATE_BATCH,
    NewProduct,
    catalog_create_products,
    catalog_insert_products,
    catalog_reprice_product,
    catalog_reprice_products,
)
from providers import registry
from providers.base import (
    CatalogItem,
    NotConfigured,
    TransientProviderError,
    UpstreamAdapter,
)
from providers.sync import catalog_sync
from shop.errors import ApplicationError
from shop.models import PriceTier
from tests.catalog.factories import (
    BrandFactory,
    CategoryFactory,
    PricingRuleFactory,
    ProductFactory,
    ProviderFactory,
)

SUCCESS = SyncRun.Status.SUCCESS
FAILED = SyncRun.Status.FAILED


def item(sku: str, cost: str = "10000", **fields) -> CatalogItem:
    """A Digiflazz-like FIXED item in IDR, active, of brand "Mobile Legends" (Games)."""
    defaults = {
        "name": f"Item {sku}",
        "brand": "Mobile Legends",
        "category": "Games",
        "currency": "IDR",
        "active": True,
        "input_schema": InputSchema.GAME_WITH_ZONE,
    }
    return CatalogItem(sku=sku, cost=Decimal(cost), **{**defaults, **fields})


class ListAdapter(UpstreamAdapter):
    """Serves a fixed price list, or raises `error` (after yielding `items` when `lazy`)."""

    code = "listed"

    def __init__(
        self, items: Iterable[CatalogItem] = (), *, error: Exception | None = None, lazy=False
    ):
        self.items = list(items)
        self.error = error
        self.lazy = lazy

    def fetch_catalog(self) -> Iterable[CatalogItem]:
        if self.lazy:
            return self._yield_then_fail()
        if self.error is not None:
            raise self.error
        return list(self.items)

    def _yield_then_fail(self) -> Iterator[CatalogItem]:
        yield from self.items
        if self.error is not None:
            raise self.error

    def place_order(self, request):
        raise NotImplementedError

    def check_order(self, request):
        raise NotImplementedError

    def get_balance(self):
        raise NotImplementedError


def sync(provider, items=(), **adapter_options) -> SyncRun:
    return catalog_sync(provider=provider, adapter=ListAdapter(items, **adapter_options))


def catalog_state(provider) -> list[tuple]:
    """Everything a sync may write about `provider`'s products."""
    return list(
        Product.objects.filter(provider=provider)
        .order_by("provider_sku")
        .values_list(
            "provider_sku", "name", "cost", "provider_active", "price_retail",
            "price_reseller", "unavailable_reason", "last_synced_at", "updated_at",
        )
    )  # fmt: skip


def written_tables(queries) -> set[str]:
    """The tables that INSERT, UPDATE or DELETE statements among `queries` touched."""
    tables = set()
    for query in queries:
        sql = query["sql"]
        verb = sql.split(None, 1)[0].upper()
        if verb in {"INSERT", "UPDATE", "DELETE"}:
            tables.add(sql.split('"')[1])
    return tables


@pytest.fixture
def provider():
    return ProviderFactory(code="listed")


@pytest.fixture
def rules():
    """10% on retail, 5% on reseller, no minimum margin."""
    return [
        PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("10")),
        PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("5")),
    ]


# --- counts and what is stored --------------------------------------------------------------


@pytest.mark.django_db
def test_a_first_sync_creates_priced_products_with_their_brands_and_categories(provider, rules):
    items = [
        item("ML86", "20000", brand_image_url="https://img.example/ml.png", description="86 dm"),
        item("ML172", "40000", brand_image_url="https://img.example/other.png"),
        item("TSEL10", "10500", brand="Telkomsel", category="Pulsa", input_schema="phone"),
    ]

    run = sync(provider, items)

    assert (run.status, run.created, run.updated, run.deactivated, run.hidden) == (
        SUCCESS, 3, 0, 0, 0,
    )  # fmt: skip
    assert run.finished_at is not None
    assert run.message.splitlines()[0] == "unchanged 0, errors 0, prices changed 3"
    ml86 = Product.objects.get(provider=provider, provider_sku="ML86")
    assert (ml86.name, ml86.cost, ml86.cost_currency) == ("Item ML86", Decimal("20000"), "IDR")
    assert (ml86.price_retail, ml86.price_reseller) == (Decimal("22000.00"), Decimal("21000.00"))
    assert ml86.unavailable_reason == ""
    assert ml86.last_synced_at is not None
    assert ml86.brand.name == "Mobile Legends"
    assert ml86.brand.slug == "mobile-legends"
    assert ml86.brand.input_schema == InputSchema.MOBILE_LEGENDS  # by name (brand_schemas)
    assert ml86.brand.image_url == "https://img.example/ml.png"
    assert ml86.brand.description == "86 dm"
    assert ml86.brand.category == ml86.category
    assert ml86.category.slug == "games"
    assert set(Brand.objects.values_list("slug", flat=True)) == {"mobile-legends", "telkomsel"}
    assert set(Category.objects.values_list("slug", flat=True)) == {"games", "pulsa"}
    assert PriceChange.objects.filter(product=ml86, old_price=None).count() == 2


@pytest.mark.django_db
def test_a_resync_counts_created_updated_deactivated_and_unchanged(provider, rules):
    sync(provider, [item("A"), item("B"), item("C"), item("D")])

    run = sync(
        provider,
        [item("A"), item("B", "12000"), item("C", name="Renamed C"), item("E")],
    )

    assert (run.status, run.created, run.updated, run.deactivated) == (SUCCESS, 1, 2, 1)
    assert run.message.splitlines()[0] == "unchanged 1, errors 0, prices changed 3"
    products = {p.provider_sku: p for p in Product.objects.filter(provider=provider)}
    assert products["B"].cost == Decimal("12000")
    assert products["C"].name == "Renamed C"
    assert not products["D"].provider_active
    assert products["E"].price_retail == Decimal("11000.00")


@pytest.mark.django_db
def test_a_resync_of_an_unchanged_list_writes_no_product_row(
    provider, rules, django_assert_max_num_queries
):
    items = [item(f"SKU{n}", str(10000 + n), brand=f"Brand {n % 3}") for n in range(50)]
    sync(provider, items)
    before = catalog_state(provider)

    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(10):
        run = sync(provider, items)

    assert (run.created, run.updated, run.deactivated) == (0, 0, 0)
    assert run.message.splitlines()[0] == "unchanged 50, errors 0, prices changed 0"
    assert written_tables(queries.captured_queries) == {"catalog_syncrun"}
    assert catalog_state(provider) == before


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_row_by_row(rules):
    """Creating is one statement per 1,000 rows (PostgreSQL: one COPY per 5,000); updating,
    one per BULK_UPDATE_BATCH rows for the synced fields and one for the prices (PostgreSQL:
    one UPDATE ... FROM (VALUES ...) per few thousand rows for each)."""
    warm_up = ProviderFactory()
    sync(warm_up, [item("X")])  # the brand and category exist from here on
    small, large = ProviderFactory(), ProviderFactory()

    def queries_of(provider, count, cost):
        with CaptureQueriesContext(connection) as queries:
            run = sync(provider, [item(f"S{n}", cost) for n in range(count)])
        assert run.status == SUCCESS
        return len(queries.captured_queries)

    assert queries_of(small, 5, "10000") == queries_of(large, 400, "10000")
    small_update, large_update = queries_of(small, 5, "10100"), queries_of(large, 400, "10100")
    per_row_batches = 0 if connection.vendor == "postgresql" else 400 // BULK_UPDATE_BATCH - 1
    assert large_update - small_update == 2 * per_row_batches


# --- prices ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cost_change_reprices_and_writes_the_price_history(provider, rules):
    sync(provider, [item("ML86", "20000"), item("ML172", "40000")])

    run = sync(provider, [item("ML86", "30000"), item("ML172", "40000")])

    assert (run.updated, run.message.splitlines()[0]) == (
        1, "unchanged 1, errors 0, prices changed 1",
    )  # fmt: skip
    product = Product.objects.get(provider=provider, provider_sku="ML86")
    assert (product.price_retail, product.price_reseller) == (
        Decimal("33000.00"), Decimal("31500.00"),
    )  # fmt: skip
    changes = PriceChange.objects.filter(product=product, old_price__isnull=False)
    assert sorted(changes.values_list("tier", "old_price", "new_price", "cost", "reason")) == [
        (PriceTier.RESELLER, Decimal("21000.00"), Decimal("31500.00"), Decimal("30000"),
         "sync of listed"),
        (PriceTier.RETAIL, Decimal("22000.00"), Decimal("33000.00"), Decimal("30000"),
         "sync of listed"),
    ]  # fmt: skip
    untouched = Product.objects.get(provider=provider, provider_sku="ML172")
    assert untouched.price_changes.count() == 2  # only the first sync's


@pytest.mark.django_db
def test_a_product_priced_below_its_minimum_margin_is_hidden_and_counted(provider):
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("1"), min_margin=Decimal("500"))

    run = sync(provider, [item("CHEAP", "10000"), item("DEAR", "100000")])

    assert run.hidden == 1
    cheap = Product.objects.get(provider_sku="CHEAP")
    assert cheap.price_retail is None
    assert cheap.unavailable_reason.startswith("price 10100.00 is below cost")


@pytest.mark.django_db
def test_the_cost_is_converted_at_the_providers_exchange_rate(rules):
    foxreload = ProviderFactory(currency="USD", exchange_rate=Decimal("16000"))

    sync(foxreload, [item("STEAM5", "5.10", currency="usd")])

    assert Product.objects.get(provider_sku="STEAM5").price_retail == Decimal("89760.00")


@pytest.mark.django_db
def test_a_flexible_item_is_stored_with_its_range_and_no_fixed_price(provider, rules):
    flexible = item(
        "AMAZON",
        "0.9512345",
        denomination_type=DenominationType.FLEXIBLE,
        min_amount=Decimal("100"),
        max_amount=Decimal("10000"),
    )

    run = sync(provider, [flexible])
    again = sync(provider, [flexible])

    product = Product.objects.get(provider_sku="AMAZON")
    assert (product.cost, product.min_amount, product.max_amount) == (
        Decimal("0.9512"), Decimal("100"), Decimal("10000"),
    )  # fmt: skip
    assert (product.price_retail, product.unavailable_reason) == (None, "")
    assert (run.created, run.hidden) == (1, 0)
    assert (again.updated, again.message.splitlines()[0]) == (
        0, "unchanged 1, errors 0, prices changed 0",
    )  # fmt: skip


# --- vanished and inactive ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_vanished_product_becomes_provider_inactive_and_unavailable(provider, rules):
    sync(provider, [item("KEEP"), item("GONE")])

    run = sync(provider, [item("KEEP")])

    gone = Product.objects.get(provider_sku="GONE")
    assert not gone.provider_active
    assert (gone.price_retail, gone.price_reseller) == (None, None)
    assert gone.unavailable_reason == "inactive at the provider"
    assert (run.deactivated, run.hidden) == (1, 1)
    assert gone.price_changes.filter(new_price=None).count() == 2

    back = sync(provider, [item("KEEP"), item("GONE")])

    gone.refresh_from_db()
    assert gone.provider_active
    assert gone.price_retail == Decimal("11000.00")
    assert (back.updated, back.deactivated, back.hidden) == (1, 0, 0)


@pytest.mark.django_db
def test_an_item_the_provider_marks_inactive_is_kept_but_hidden(provider, rules):
    sync(provider, [item("ML86")])

    run = sync(provider, [item("ML86", active=False)])

    product = Product.objects.get(provider_sku="ML86")
    assert not product.provider_active
    assert product.price_retail is None
    assert (run.updated, run.deactivated, run.hidden) == (1, 0, 1)


@pytest.mark.django_db
def test_invalid_items_are_errors_and_count_as_missing(provider, rules):
    sync(provider, [item("OK"), item("WRONGCUR")])

    run = sync(
        provider,
        [
            item("OK"),
            item("OK", "99999"),  # listed twice: the first one is used
            item("WRONGCUR", currency="USD"),
            item("NORANGE", denomination_type=DenominationType.FLEXIBLE),
            item("", name="no sku"),
            item("NOBRAND", brand=" "),
        ],
    )

    assert run.status == SUCCESS
    lines = run.message.splitlines()
    assert lines[0] == "unchanged 1, errors 5, prices changed 1"
    assert "item 'OK': listed twice, the first one is used" in lines
    assert "item 'WRONGCUR': currency USD differs from the provider's IDR" in lines
    assert Product.objects.get(provider_sku="OK").cost == Decimal("10000")
    assert not Product.objects.get(provider_sku="WRONGCUR").provider_active
    assert run.deactivated == 1
    assert not Product.objects.filter(provider_sku__in=["NORANGE", "NOBRAND", ""]).exists()


# --- failures ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("lazy", [False, True], ids=["raises at once", "raises midway"])
def test_a_failed_fetch_changes_nothing_and_records_a_failed_run(provider, rules, lazy):
    sync(provider, [item("A"), item("B")])
    before = catalog_state(provider)

    run = sync(
        provider,
        [item("A", "99999"), item("C")],
        error=TransientProviderError("price list timed out"),
        lazy=lazy,
    )

    assert run.status == FAILED
    assert run.message == "fetch failed: price list timed out"
    assert (run.created, run.updated, run.deactivated) == (0, 0, 0)
    assert run.finished_at is not None
    assert catalog_state(provider) == before


@pytest.mark.django_db
def test_the_adapter_comes_from_the_registry_and_its_errors_are_recorded(
    provider, rules, monkeypatch
):
    asked = []

    def get_adapter(code):
        asked.append(code)
        if len(asked) == 1:
            return ListAdapter([item("A")])
        raise NotConfigured("listed is not configured: set LISTED_KEY in the environment.")

    monkeypatch.setattr(registry, "get_adapter", get_adapter)

    first = catalog_sync(provider=provider)
    second = catalog_sync(provider=provider)

    assert asked == ["listed", "listed"]
    assert (first.status, first.created) == (SUCCESS, 1)
    assert second.status == FAILED
    assert second.message == (
        "fetch failed: listed is not configured: set LISTED_KEY in the environment."
    )


@pytest.mark.django_db
def test_a_database_error_while_writing_rolls_the_whole_sync_back(provider, rules, monkeypatch):
    sync(provider, [item("A")])
    before = catalog_state(provider)

    def broken_reprice(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("providers.sync.write.catalog_reprice_products", broken_reprice)
    with pytest.raises(RuntimeError, match="disk full"):
        sync(provider, [item("A", "20000"), item("B")])

    assert catalog_state(provider) == before
    run = SyncRun.objects.order_by("-pk").first()
    assert run.status == FAILED
    assert run.message == "write failed, nothing was changed: RuntimeError: disk full"


# --- brands and categories ------------------------------------------------------------------


@pytest.mark.django_db
def test_brands_and_categories_are_created_once_and_shared_by_providers(rules):
    digiflazz, foxreload = ProviderFactory(), ProviderFactory()

    sync(digiflazz, [item("ML86", brand="MOBILE LEGENDS", category="Games")])
    sync(foxreload, [item("ml-86", brand="Mobile Legends", category="games")])
    sync(digiflazz, [item("ML86", brand="MOBILE LEGENDS", category="Games")])

    assert Brand.objects.count() == 1
    assert Category.objects.count() == 1
    brand = Brand.objects.get()
    assert brand.name == "MOBILE LEGENDS"  # the name it was created with is kept
    assert set(brand.products.values_list("provider__code", flat=True)) == {
        digiflazz.code, foxreload.code,
    }  # fmt: skip


@pytest.mark.django_db
def test_a_sync_fills_only_the_empty_fields_of_an_existing_brand(provider, rules):
    admin_set = BrandFactory(
        name="Free Fire",
        slug="free-fire",
        description="Written by an admin",
        input_schema=InputSchema.GAME,
        image_url="",
    )
    blank = BrandFactory(name="PLN", slug="pln", category=None, input_schema=InputSchema.OTHER)

    sync(
        provider,
        [
            item("FF5", brand="Free Fire", description="from the provider", input_schema="other",
                 brand_image_url="https://img.example/ff.png"),
            item("PLN20", brand="PLN", category="Token", input_schema=InputSchema.PLN),
        ],
    )  # fmt: skip

    admin_set.refresh_from_db()
    assert admin_set.description == "Written by an admin"
    assert admin_set.input_schema == InputSchema.GAME
    assert admin_set.image_url == "https://img.example/ff.png"
    blank.refresh_from_db()
    assert blank.input_schema == InputSchema.PLN
    assert blank.category.slug == "token"


@pytest.mark.django_db
def test_a_brand_given_its_category_by_a_sync_reprices_every_providers_products(
    provider, rules, django_capture_on_commit_callbacks
):
    blank = BrandFactory(name="PLN", slug="pln", category=None, input_schema=InputSchema.OTHER)
    token = CategoryFactory(name="Token", slug="token")
    PricingRuleFactory(category=token, tier=PriceTier.RETAIL, percent=Decimal("30"))
    elsewhere = ProductFactory(brand=blank, category=None, cost=Decimal("1000"))
    catalog_reprice_product(product=elsewhere)
    assert elsewhere.price_retail == Decimal("1100.00")  # the global 10%

    with django_capture_on_commit_callbacks(execute=True):
        sync(provider, [item("PLN20", brand="PLN", category="Token")])

    elsewhere.refresh_from_db()
    assert elsewhere.price_retail == Decimal("1300.00")  # the brand's category rule now


# --- one sync per provider at a time ---------------------------------------------------------


class BlockingAdapter(ListAdapter):
    """Holds its fetch until `release` is set, after announcing it started."""

    def __init__(self, items, started: threading.Event, release: threading.Event):
        super().__init__(items)
        self.started = started
        self.release = release

    def fetch_catalog(self):
        self.started.set()
        assert self.release.wait(10)
        return super().fetch_catalog()


@pytest.mark.django_db(transaction=True)
def test_a_second_sync_of_the_same_provider_is_refused_while_one_runs(provider, rules):
    other_provider = ProviderFactory()
    started, release = threading.Event(), threading.Event()
    outcome = {}

    def first_sync():
        try:
            adapter = BlockingAdapter([item("A"), item("B")], started, release)
            outcome["run"] = catalog_sync(provider=provider, adapter=adapter)
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=first_sync)
    thread.start()
    try:
        assert started.wait(10)
        with pytest.raises(ApplicationError) as refused:
            sync(provider, [item("C")])
        other = sync(other_provider, [item("C")])  # another provider's sync is not held up
    finally:
        release.set()
        thread.join(20)

    assert refused.value.code == "sync_running"
    assert refused.value.message == "A sync of listed is already running."
    assert other.status == SUCCESS
    assert "error" not in outcome
    assert (outcome["run"].status, outcome["run"].created) == (SUCCESS, 2)
    assert SyncRun.objects.filter(provider=provider).count() == 1
    skus = Product.objects.filter(provider=provider).values_list("provider_sku", flat=True)
    assert set(skus) == {"A", "B"}
    after = sync(provider, [item("A"), item("B"), item("C")])  # the lock was released
    assert (after.status, after.created, after.message.splitlines()[0]) == (
        SUCCESS, 1, "unchanged 2, errors 0, prices changed 1",
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_syncs_leave_a_consistent_catalog(provider, rules):
    """Both threads start together; whatever the timing, one sync at a time wrote."""
    barrier = threading.Barrier(2)
    outcomes = []

    def run(items):
        try:
            barrier.wait(5)
            outcomes.append(sync(provider, items))
        except ApplicationError as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    lists = [[item(f"X{n}") for n in range(300)], [item(f"X{n}", "12000") for n in range(300)]]
    threads = [threading.Thread(target=run, args=(items,)) for items in lists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    runs = [o for o in outcomes if isinstance(o, SyncRun)]
    refused = [o for o in outcomes if isinstance(o, ApplicationError)]
    assert len(runs) + len(refused) == 2
    assert all(error.code == "sync_running" for error in refused)
    assert all(run.status == SUCCESS for run in runs)
    assert sum(run.created for run in runs) == 300  # never created twice
    costs = set(Product.objects.filter(provider=provider).values_list("cost", flat=True))
    assert len(costs) == 1  # all from one list: the last sync that ran
    assert Product.objects.filter(provider=provider).count() == 300
    assert not Product.objects.filter(provider=provider, price_retail=None).exists()


@pytest.mark.django_db
def test_without_advisory_locks_a_fresh_running_run_refuses_a_second_sync(
    provider, rules, monkeypatch
):
    """The SQLite fallback (`make run`), exercised here on PostgreSQL."""
    monkeypatch.setattr("providers.sync.runs._has_advisory_locks", lambda: False)
    stale = SyncRun.objects.create(provider=provider)
    SyncRun.objects.filter(pk=stale.pk).update(started_at=stale.started_at - timedelta(minutes=31))

    assert sync(provider, [item("A")]).status == SUCCESS  # a stale RUNNING row is ignored

    SyncRun.objects.create(provider=provider)  # one running now
    with pytest.raises(ApplicationError) as refused:
        sync(provider, [item("B")])
    assert refused.value.code == "sync_running"
    assert not Product.objects.filter(provider_sku="B").exists()


# --- the bulk pricing functions the sync uses (catalog/services/) ------------------------------


def _products_in_every_pricing_state(provider):
    """One product per case the pricing rule distinguishes."""
    return [
        ProductFactory(provider=provider, cost=Decimal("10000")),
        ProductFactory(provider=provider, cost=Decimal("100")),  # below the minimum margin
        ProductFactory(provider=provider, flexible=True),
        ProductFactory(provider=provider, provider_active=False),
        ProductFactory(provider=provider, admin_active=False),
    ]


def _stored(product):
    product.refresh_from_db()
    history = sorted(
        product.price_changes.values_list("tier", "old_price", "new_price", "cost", "reason"),
        key=repr,  # prices may be None
    )
    return (product.price_retail, product.price_reseller, product.unavailable_reason, history)


@pytest.mark.django_db
def test_bulk_repricing_stores_what_repricing_one_by_one_stores():
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("10"), min_margin=Decimal("50"))
    one_by_one = _products_in_every_pricing_state(ProviderFactory())
    in_bulk = _products_in_every_pricing_state(ProviderFactory())

    for step in ("first", "after a rule change"):
        for product in one_by_one:
            catalog_reprice_product(product=product, reason=step)
        changed = catalog_reprice_products(products=in_bulk, reason=step)

        assert [_stored(p) for p in in_bulk] == [_stored(p) for p in one_by_one]
        assert changed == (1 if step == "first" else 2)  # products whose stored price moved
        PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("5"))


@pytest.mark.django_db
def test_creating_priced_products_stores_what_creating_then_repricing_stores():
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("10"), min_margin=Decimal("50"))
    reference = _products_in_every_pricing_state(ProviderFactory())
    for product in reference:
        catalog_reprice_product(product=product, reason="new")
    provider = ProviderFactory()
    unsaved = [
        Product(
            provider=provider,
            brand=product.brand,
            category=product.category,
            provider_sku=f"new-{product.provider_sku}",
            name=product.name,
            cost=product.cost,
            denomination_type=product.denomination_type,
            min_amount=product.min_amount,
            max_amount=product.max_amount,
            provider_active=product.provider_active,
            admin_active=product.admin_active,
        )
        for product in reference
    ]

    created = catalog_create_products(products=unsaved, reason="new")

    assert [_stored(p) for p in created] == [_stored(p) for p in reference]


def _rules_of_every_scope(brand, category, product=None):
    """A global rule per tier, a brand and a category one that win over them (and a
    product one when `product` is given), with flat amounts, steps and a minimum margin."""
    PricingRuleFactory(
        tier=PriceTier.RETAIL, percent=Decimal("10"), min_margin=Decimal("50"),
        rounding_step=Decimal("100"),
    )  # fmt: skip
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("1.5"))
    PricingRuleFactory(tier=PriceTier.RESELLER, brand=brand, flat_amount=Decimal("250"))
    PricingRuleFactory(tier=PriceTier.RETAIL, category=category, percent=Decimal("7.25"))
    if product is not None:
        PricingRuleFactory(tier=PriceTier.RETAIL, product=product, percent=Decimal("33"))


def _products_under_every_rule(provider, brand, category):
    other_brand = BrandFactory(category=category)
    return [
        *_products_in_every_pricing_state(provider),
        ProductFactory(provider=provider, brand=brand, cost=Decimal("12345.6789")),
        ProductFactory(provider=provider, brand=other_brand, category=None),  # brand's category
        ProductFactory(provider=provider, brand=brand, category=category, cost=Decimal("3")),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "provider_state",
    [
        {"exchange_rate": Decimal("1.37")},
        {"enabled": False},
        {"out_of_balance_since": timezone.now()},
    ],
)
def test_inserting_products_stores_what_creating_then_repricing_stores(provider_state):
    if connection.vendor != "postgresql":
        pytest.skip("catalog_insert_products uses COPY")
    brand, category = BrandFactory(), CategoryFactory()
    _rules_of_every_scope(brand, category)
    provider = ProviderFactory(**provider_state)
    reference = _products_under_every_rule(provider, brand, category)
    for product in reference:
        catalog_reprice_product(product=product, reason="new")
    new = [
        NewProduct(
            provider_sku=f"new-{product.provider_sku}",
            brand_id=product.brand_id,
            brand_category_id=product.brand.category_id,
            category_id=product.category_id,
            name=product.name,
            description="",
            cost=product.cost,
            cost_currency=product.cost_currency,
            denomination_type=product.denomination_type,
            min_amount=product.min_amount,
            max_amount=product.max_amount,
            provider_active=product.provider_active,
            last_synced_at=None,
        )
        for product in reference
        if product.admin_active  # new products are always admin-active
    ]

    priced = catalog_insert_products(provider=provider, products=new, reason="new")

    inserted = {p.provider_sku: p for p in Product.objects.filter(provider_sku__startswith="new-")}
    expected = [_stored(p) for p in reference if p.admin_active]
    assert [_stored(inserted[row.provider_sku]) for row in new] == expected
    assert priced == sum(1 for retail, reseller, *_ in expected if retail or reseller)


@pytest.mark.django_db
def test_bulk_repricing_under_rules_of_every_scope_stores_what_one_by_one_stores():
    brand, category = BrandFactory(), CategoryFactory()
    one_by_one = _products_under_every_rule(ProviderFactory(), brand, category)
    in_bulk = _products_under_every_rule(
        ProviderFactory(exchange_rate=Decimal("1")), brand, category
    )
    _rules_of_every_scope(brand, category)
    PricingRuleFactory(tier=PriceTier.RETAIL, product=one_by_one[0], percent=Decimal("33"))
    PricingRuleFactory(tier=PriceTier.RETAIL, product=in_bulk[0], percent=Decimal("33"))

    for step in ("first", "after a cost change"):
        for product in one_by_one:
            catalog_reprice_product(product=product, reason=step)
        catalog_reprice_products(products=in_bulk, reason=step)

        assert [_stored(p) for p in in_bulk] == [_stored(p) for p in one_by_one]
        Product.objects.filter(pk__in=[p.pk for p in one_by_one + in_bulk]).update(
            cost=Decimal("20000.5")
        )
