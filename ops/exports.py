"""CSV exports streamed row by row: `.iterator()` over the rows, one line written at a time,
so memory stays flat however many rows a date range holds."""

import csv
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from orders.models import Order
from shop.dates import OUT_OF_RANGE, date_in_range
from wallets.models import BalanceMutation

CHUNK = 2000
# A cell a spreadsheet would run as a formula (CSV injection) starts with one of these; it is
# written with a leading single quote (OWASP's advice), so it shows as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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


def export_range_problem(*, start: date, end: date) -> str:
    """Why `start`..`end` cannot be exported, or "" when it can."""
    if not (date_in_range(start) and date_in_range(end)):
        return OUT_OF_RANGE
    if end < start:
        return "The end date is before the start date."
    return ""


def csv_safe(value):
    """A cell as written: text a spreadsheet would take for a formula gets a leading quote."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
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
        yield writer.writerow([csv_safe(value) for value in row])


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
