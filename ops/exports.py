"""CSV exports streamed row by row: `.iterator()` over the rows, one line written at a time,
so memory stays flat however many rows a date range holds."""

import csv
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from orders.models import Order
from wallets.models import BalanceMutation

CHUNK = 2000

ORDER_COLUMNS = [
    ("code", "code"),
    ("created_at", "created_at"),
    ("status", "status"),
    ("product", "product_name"),
    ("provider", "provider_code"),
    ("sku", "provider_sku"),
    ("customer_no", "customer_no"),
    ("buyer", "user__username"),
    ("guest_email", "guest_email"),
    ("payment_method", "payment_method"),
    ("price", "price"),
    ("cost", "cost"),
    ("currency", "currency"),
    ("paid_at", "paid_at"),
    ("completed_at", "completed_at"),
    ("refunded_at", "refunded_at"),
]
LEDGER_COLUMNS = [
    ("leg_id", "pk"),
    ("created_at", "created_at"),
    ("transfer", "transfer__idempotency_key"),
    ("reason", "transfer__reason"),
    ("reference", "transfer__reference"),
    ("wallet_id", "wallet_id"),
    ("wallet_user", "wallet__user__username"),
    ("wallet_system", "wallet__system_code"),
    ("currency", "wallet__currency"),
    ("amount", "amount"),
    ("balance_before", "balance_before"),
    ("balance_after", "balance_after"),
    ("actor", "transfer__actor__username"),
    ("memo", "transfer__memo"),
]


class _Echo:
    """A file-like object whose write returns the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def day_range(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the shop's time zone."""
    return (
        timezone.make_aware(datetime.combine(start, time.min)),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min)),
    )


def _rows(queryset, columns) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([name for name, _ in columns])
    for row in queryset.values_list(*(field for _, field in columns)).iterator(chunk_size=CHUNK):
        yield writer.writerow(
            [value.isoformat() if isinstance(value, datetime) else value for value in row]
        )


def orders_csv(*, start: date, end: date) -> Iterator[str]:
    """Orders created from `start` to `end` (inclusive days), oldest first."""
    low, high = day_range(start, end)
    rows = Order.objects.filter(created_at__gte=low, created_at__lt=high).order_by("pk")
    return _rows(rows, ORDER_COLUMNS)


def ledger_csv(*, start: date, end: date) -> Iterator[str]:
    """Ledger legs written from `start` to `end` (inclusive days), in ledger order."""
    low, high = day_range(start, end)
    rows = BalanceMutation.objects.filter(created_at__gte=low, created_at__lt=high).order_by("pk")
    return _rows(rows, LEDGER_COLUMNS)
