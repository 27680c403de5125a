"""CSV exports stream rows from the database without holding them."""

import csv
import io
import tracemalloc
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
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


@pytest.mark.parametrize(
    ("start", "end"), [("9999-12-31", "9999-12-31"), ("0001-01-01", "0001-01-01")]
)
def test_a_date_at_the_edge_of_the_calendar_is_a_400_and_a_command_error(
    finance_client, start, end
):
    for name in ("ops-export-orders", "ops-export-ledger"):
        reply = finance_client.get(reverse(name), {"start": start, "end": end})
        assert reply.status_code == 400
        assert b"Date out of range: use 0001-01-03 to 9999-12-29." in reply.content
    with pytest.raises(CommandError, match=r"^Date out of range"):
        call_command("export_csv", "orders", "--start", start, "--end", end)
    with pytest.raises(CommandError, match=r"^--date: Date out of range"):
        call_command("reconcile", "--date", start)


@pytest.mark.parametrize(
    "balance", ["hubble=NaN", "hubble=Infinity", "hubble=-sNaN", "=5", "hubble=1e20"]
)
def test_reconcile_refuses_a_balance_that_is_not_an_amount(balance):
    with pytest.raises(CommandError, match=r"^--balance"):
        call_command("reconcile", "--balance", balance)


def test_cells_a_spreadsheet_would_run_as_formulas_are_quoted(finance_client, product, tmp_path):
    _orders(product, 1)
    Order.objects.update(
        product_name='=HYPERLINK("http://evil.example","x")',
        customer_no="+6281234",
        guest_email="@SUM(1+1)",
    )
    target = wallet_for_user(user=make_user("lena"))
    adjust(finance_client, target, amount="1.00", reason="-2+3 cmd|' /C calc'!A0")

    orders = b"".join(export(finance_client).streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(orders))
    ledger = b"".join(export(finance_client, "ops-export-ledger").streaming_content).decode()
    legs = list(csv.DictReader(io.StringIO(ledger)))
    out = tmp_path / "orders.csv"
    today = timezone.localdate().isoformat()
    call_command("export_csv", "orders", "--start", today, "--end", today, "-o", str(out))

    assert row["product"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["customer_no"] == "'+6281234"
    assert row["guest_email"] == "'@SUM(1+1)"
    assert row["price"] == "10500.00"
    assert {leg["memo"] for leg in legs} == {"'-2+3 cmd|' /C calc'!A0"}
    assert {leg["amount"] for leg in legs} == {"1.00", "-1.00"}  # numbers stay numbers
    (written,) = csv.DictReader(io.StringIO(out.read_text()))
    assert written["customer_no"] == "'+6281234"
