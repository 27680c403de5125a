"""SQL written once from the models' metadata (shop.precompiled) reads and writes the same
rows as the ORM would, also when threads use it for the first time together."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from catalog.models import Product
from catalog.selectors import product_for_order
from orders.models import OrderEvent
from shop.precompiled import PrecompiledSelect
from tests.catalog.factories import ProductFactory

pytestmark = pytest.mark.django_db


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_a_product_reads_as_select_related_reads_it():
    made = ProductFactory(cost=Decimal("12345.67"))

    found = product_for_order(product_id=made.pk)
    orm = Product.objects.select_related("provider", "brand").get(pk=made.pk)

    assert fields_of(found) == fields_of(orm)
    assert fields_of(found.provider) == fields_of(orm.provider)
    assert fields_of(found.brand) == fields_of(orm.brand)
    assert product_for_order(product_id=made.pk + 1000) is None


def test_an_order_and_its_events_store_what_the_orm_stores(balance_order):
    event = OrderEvent.objects.filter(order=balance_order).first()

    assert event is not None
    assert event.order_id == balance_order.pk
    stored = type(balance_order).objects.get(pk=balance_order.pk)
    assert fields_of(stored) == fields_of(balance_order) | {
        "updated_at": stored.updated_at,
        "created_at": stored.created_at,
    }


@pytest.mark.django_db(transaction=True)
def test_threads_that_use_a_select_first_together_each_get_the_right_row():
    products = ProductFactory.create_batch(4)
    select = PrecompiledSelect(Product, where="t.id = %s", related=("provider", "brand"))
    start = threading.Barrier(len(products))
    found: dict[int, dict] = {}

    def read(product):
        try:
            start.wait()
            [row] = select.fetch([product.pk])
            found[product.pk] = {"name": row.name, "brand": row.brand.name}
        finally:
            connections.close_all()

    threads = [threading.Thread(target=read, args=(product,)) for product in products]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert found == {p.pk: {"name": p.name, "brand": p.brand.name} for p in products}
    assert connection.vendor == "postgresql"
