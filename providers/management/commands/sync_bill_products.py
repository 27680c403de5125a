"""Refresh the bill types from a provider's postpaid price list."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers.base import ProviderError
from providers.bill_catalog import bill_products_sync


class Command(BaseCommand):
    help = "Sync the bill types (postpaid price list) of a provider into the catalog."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", metavar="CODE", default="digiflazz")

    def handle(self, *args, provider: str = "digiflazz", **options) -> None:
        try:
            active = bill_products_sync(provider_code=provider)
        except ProviderError as exc:
            raise CommandError(f"{provider}: {exc.message}") from None
        self.stdout.write(f"{provider}: {active} bill types active")
