"""python manage.py reconcile [--date YYYY-MM-DD] [--balance hubble=123.45]"""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ops.reconciliation import reconcile_all
from shop.dates import OUT_OF_RANGE, date_in_range
from shop.money import MAX_AMOUNT


def is_amount(value: Decimal) -> bool:
    """A balance reading as a provider reports it: finite, within what the ledger holds."""
    return value.is_finite() and abs(value) < MAX_AMOUNT


class Command(BaseCommand):
    help = "Compare booked provider spend and gateway payments with what they report."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to reconcile (default: yesterday).")
        parser.add_argument(
            "--balance",
            action="append",
            default=[],
            help="CODE=AMOUNT: a balance reading to use instead of asking the provider.",
        )

    def handle(self, *args, **options):
        start = end = None
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD.") from None
            if not date_in_range(day):
                raise CommandError(f"--date: {OUT_OF_RANGE}")
            start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
            end = start + timedelta(days=1)
        balances = {}
        for item in options["balance"]:
            code, _, amount = item.partition("=")
            try:
                balances[code] = Decimal(amount)
            except InvalidOperation:
                raise CommandError(f"--balance {item!r}: expected CODE=AMOUNT.") from None
            if not code or not is_amount(balances[code]):
                raise CommandError(f"--balance {item!r}: expected CODE=AMOUNT (a finite number).")
        runs = reconcile_all(start=start, end=end, balances=balances)
        for run in runs:
            state = "ok" if run.ok else f"DIFFERENCE {run.difference}"
            self.stdout.write(
                f"{run.code:10} {run.window_start:%Y-%m-%d %H:%M} booked={run.booked} "
                f"reported={run.reported} {state} {run.note}".rstrip()
            )
            for problem in run.problems:
                self.stdout.write(f"  - {problem}")
        if any(not run.ok for run in runs):
            raise CommandError("Reconciliation found differences; finance staff were notified.")
