"""Recompute and store every product's price (or one provider's)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalog.models import Provider
from catalog.services import catalog_reprice_all


class Command(BaseCommand):
    help = "Reprice the catalog from the current costs, exchange rates and pricing rules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", metavar="CODE", help="only this provider's products")

    def handle(self, *args, provider: str | None = None, **options) -> None:
        selected = None
        if provider is not None:
            selected = Provider.objects.filter(code=provider).first()
            if selected is None:
                raise CommandError(f"Unknown provider code {provider!r}.")
        changed = catalog_reprice_all(provider=selected, reason="reprice_catalog command")
        scope = f"provider {selected.code}" if selected else "all providers"
        self.stdout.write(f"Repriced {scope}: {changed} product(s) changed price.")
