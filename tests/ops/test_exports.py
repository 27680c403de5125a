"""CSV exports stream rows from the database without holding them."""

import csv
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from tests.ops.test_money_admin import adjust
from tests.orders.fixtures import make_user
from wallets.services import wallet_for_user

pytestmark = pytest.mark.django_db

ROWS = 100_000
# Loading 100,000 orders as model instances takes well over 100 MB; a streamed export
# holds one chunk of value tuples and one line at a time.
MEMORY_BOUND = 20 * 1024 * 1024


def _orders(product, count: int) -> None:
    Order.objects.bulk_create(
        (
            Order(
                code=f"TRX-BULK-{index:07d}",
                access_token=f"token-{index}",
                guest_email="bulk@example.com",
                product=product,
                product_name="Bulk item with a reasonably long name, 100 diamonds",
                provider_code=product.provider.code,
                provider_sku=product.provider_sku,
                price_tier="retail",
                customer_no="12345678",
                price=Decimal("10500.00"),
                cost=Decimal("10000.00"),
                currency="IDR",
                payment_method="gateway",
            )
            for index in range(count)
        ),
        batch_size=5000,
    )


def export(client, name="ops-export-orders", **params):
    today = timezone.localdate().isoformat()
    return client.get(reverse(name), {"start": today, "end": today, **params})


def test_the_orders_export_streams_100000_rows_in_bounded_memory(finance_client, product):
    _orders(product, ROWS)

    response = export(finance_client)
    assert response.status_code == 200
    assert response.streaming
    tracemalloc.start()
    lines = 0
    first = None
    try:
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            first = first or chunk
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    print(f"export of {ROWS} rows: peak traced memory {peak / 1024 / 1024:.1f} MiB")
    assert lines == ROWS + 1
    assert first.startswith(b"code,created_at,status,")
    assert peak < MEMORY_BOUND


def test_the_ledger_export_lists_every_leg_with_its_transfer(finance_client):
    target = wallet_for_user(user=make_user("lena"))
    adjust(finance_client, target, amount="12.34", reason="typo fix")

    body = b"".join(export(finance_client, "ops-export-ledger").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))

    assert len(rows) == 2
    assert {row["amount"] for row in rows} == {"12.34", "-12.34"}
    assert {row["memo"] for row in rows} == {"typo fix"}
    assert {row["actor"] for row in rows} == {"fin-finance"}


def test_a_bad_range_is_a_400_and_support_may_not_export(finance_client, support_client):
    bad = finance_client.get(
        reverse("ops-export-orders"), {"start": "2026-02-01", "end": "2026-01-01"}
    )
    assert bad.status_code == 400
    assert b"before the start" in bad.content
    assert finance_client.get(reverse("ops-export-orders"), {"start": "x"}).status_code == 400
    assert support_client.get(reverse("ops-export-orders")).status_code == 403
