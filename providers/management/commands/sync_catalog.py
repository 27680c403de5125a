"""Sync the catalog with the upstream providers' price lists."""

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from catalog.models import SyncRun
from providers.defaults import upstream_providers
from providers.registry import UPSTREAM_ADAPTERS, UnknownProvider
from providers.sync import catalog_sync, sync_run_summary
from shop.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Sync products, brands and categories with every enabled upstream provider's price "
        "list (or one provider's), then reprice what changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", metavar="CODE", help="only this provider")

    def handle(self, *args, provider: str | None = None, **options) -> None:
        try:
            providers = upstream_providers(code=provider)
        except UnknownProvider:
            known = ", ".join(UPSTREAM_ADAPTERS)
            message = f"Unknown upstream provider {provider!r} (known: {known})."
            raise CommandError(message) from None
        if not providers:
            self.stdout.write("No enabled upstream provider to sync.")
            return
        failures = []
        for selected in providers:
            try:
                run = catalog_sync(
                    provider=selected, progress=ProgressPrinter(self.stdout, selected.code)
                )
            except ApplicationError as exc:
                failures.append(f"{selected.code}: {exc.message}")
                continue
            if run.status == SyncRun.Status.SUCCESS:
                self.stdout.write(sync_run_summary(run))
            else:
                failures.append(sync_run_summary(run))
        if failures:
            raise CommandError("Sync failed: " + "; ".join(failures))


class ProgressPrinter:
    """Prints how many items were fetched, then a line at every 10% of the list."""

    def __init__(self, out: OutputWrapper, code: str):
        self.out = out
        self.code = code
        self.next_percent = 10

    def __call__(self, done: int, total: int) -> None:
        if done == 0:
            self.out.write(f"{self.code}: fetched {total} items")
            return
        percent = done * 100 // total // 10 * 10
        if percent >= self.next_percent:
            self.out.write(f"{self.code}: {percent}% ({done} of {total} items)")
            self.next_percent = percent + 10
