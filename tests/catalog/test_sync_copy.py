"""The PostgreSQL sync path (new and changed products staged by COPY into temporary tables,
merged by one statement per table) stores what the ORM path stores: the same products,
prices, availability and price history, step by step, and writes nothing on an unchanged
re-sync."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import DenominationType, PriceChange, Product
from providers.sync import write
from shop.models import PriceTier
from tests.catalog.factories import PricingRuleFactory, ProviderFactory
from tests.catalog.test_sync import item, sync, written_tables

pytestmark = pytest.mark.django_db


def price_list(step: int) -> list:
    """Items in every pricing state; `step` 1 changes some costs and fields, drops one
    item and adds one."""
    items = [
        item("PLAIN", "10000"),
        item("ROUNDED", "12345.67"),
        item("THIN", "100"),  # under the reseller rule's minimum margin: no reseller price
        item("INACTIVE", "5000", active=False),
        item(
            "ANY",
            "1",
            denomination_type=DenominationType.FLEXIBLE,
            min_amount=Decimal("1000"),
            max_amount=Decimal("50000"),
        ),
        item("PULSA", "20000", brand="Telkomsel", category="Pulsa"),
        item("GONE", "7000"),
    ]
    if step == 0:
        return items
    changed = {
        "PLAIN": item("PLAIN", "11000"),  # cost up: repriced, history
        "THIN": item("THIN", "100000"),  # now above the margin: gets a reseller price
        "INACTIVE": item("INACTIVE", "5000"),  # active again
        "PULSA": item("PULSA", "20000", name="Telkomsel 20k", brand="Telkomsel", category="Pulsa"),
    }
    return [changed.get(i.sku, i) for i in items if i.sku != "GONE"] + [item("NEW", "3000")]


def stored(provider) -> tuple[list, list]:
    products = list(
        Product.objects.filter(provider=provider)
        .order_by("provider_sku")
        .values_list(
            "provider_sku", "name", "description", "cost", "cost_currency", "brand__slug",
            "category__slug", "denomination_type", "min_amount", "max_amount",
            "provider_active", "admin_active", "price_retail", "price_reseller",
            "unavailable_reason",
        )
    )  # fmt: skip
    rows = PriceChange.objects.filter(product__provider=provider).values_list(
        "product__provider_sku", "tier", "old_price", "new_price", "cost", "reason"
    )
    history = sorted(
        ((*row, reason.replace(f"sync of {provider.code}", "sync")) for *row, reason in rows),
        key=repr,  # prices may be None
    )
    return products, history


def test_the_copy_path_stores_what_the_orm_path_stores(monkeypatch):
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("3"), rounding_step=Decimal("100"))
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("1.5"), min_margin=Decimal("200"))
    by_copy = ProviderFactory(code="listed", exchange_rate=Decimal("1"))
    by_orm = ProviderFactory(code="listed-orm", exchange_rate=Decimal("1"))

    for step in (0, 1, 1):  # first sync, a changed list, the same list again
        assert write._stages_by_copy()
        copy_run = sync(by_copy, price_list(step))
        monkeypatch.setattr(write, "_stages_by_copy", lambda: False)
        orm_run = sync(by_orm, price_list(step))
        monkeypatch.undo()

        assert copy_run.status == orm_run.status == "success"
        counts = ("created", "updated", "deactivated", "unchanged", "hidden")
        assert [getattr(copy_run, c) for c in counts] == [getattr(orm_run, c) for c in counts]
        assert stored(by_copy) == stored(by_orm)
    assert PriceChange.objects.filter(product__provider=by_copy).exists()


def test_an_unchanged_resync_by_copy_writes_no_product_and_no_history():
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    provider = ProviderFactory(code="listed")
    sync(provider, price_list(0))
    history = PriceChange.objects.count()

    with CaptureQueriesContext(connection) as queries:
        run = sync(provider, price_list(0))

    assert run.unchanged == len(price_list(0))
    assert "catalog_product" not in written_tables(queries)
    assert PriceChange.objects.count() == history
