"""python manage.py check_ledger: prove the ledger's invariants; exit 1 naming what is broken."""

from django.core.management.base import BaseCommand, CommandError

from wallets.selectors import ledger_check


class Command(BaseCommand):
    help = "Verify every wallet and transfer of the ledger; exit 1 if any invariant is broken."

    def handle(self, *args, **options):
        report = ledger_check()
        summary = f"{report.wallets_checked} wallets, {report.transfers_checked} transfers checked"
        for (code, currency), (balance, rows) in report.system_accounts.items():
            if rows > 1:  # a striped account (wallets.stripes): its balance is the sum
                self.stdout.write(f"{code} {currency}: {balance} (sum of {rows} stripes)")
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Ledger OK: {summary}."))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        count = len(report.problems)
        raise CommandError(f"Ledger BROKEN: {count} problem{'s' if count != 1 else ''}; {summary}.")
