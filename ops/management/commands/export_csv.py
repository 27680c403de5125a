"""python manage.py export_csv orders|ledger --start YYYY-MM-DD --end YYYY-MM-DD [-o FILE]"""

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from ops.exports import export_range_problem, ledger_csv, orders_csv


class Command(BaseCommand):
    help = "Write orders or ledger rows of a date range as CSV (streamed, constant memory)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["orders", "ledger"])
        parser.add_argument("--start", required=True)
        parser.add_argument("--end", required=True)
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")

    def handle(self, *args, **options):
        try:
            start, end = date.fromisoformat(options["start"]), date.fromisoformat(options["end"])
        except ValueError:
            raise CommandError("--start and --end must be YYYY-MM-DD.") from None
        problem = export_range_problem(start=start, end=end)
        if problem:
            raise CommandError(problem)
        rows = (orders_csv if options["what"] == "orders" else ledger_csv)(start=start, end=end)
        if not options["output"]:
            sys.stdout.writelines(rows)
            return
        with open(options["output"], "w", newline="") as out:
            out.writelines(rows)
