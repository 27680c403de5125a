"""Read and store the upstream providers' balances."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from providers import registry
from providers.base import FinalProviderError, NotConfigured, ProviderError
from providers.defaults import upstream_providers
from providers.services import provider_record_balance


class Command(BaseCommand):
    help = "Read every enabled upstream provider's balance (or one provider's) and store it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", metavar="CODE", help="only this provider")

    def handle(self, *args, provider: str | None = None, **options) -> None:
        try:
            providers = upstream_providers(code=provider)
        except registry.UnknownProvider:
            known = ", ".join(registry.UPSTREAM_ADAPTERS)
            message = f"Unknown upstream provider {provider!r} (known: {known})."
            raise CommandError(message) from None
        failures = []
        for selected in providers:
            code = selected.code
            try:
                adapter = registry.get_adapter(code)
                if not adapter.reports_balance:
                    self.stdout.write(f"{code}: no balance endpoint; skipped")
                    continue
                balance = adapter.get_balance()
            except NotConfigured as exc:
                failures.append(f"{code}: {exc.message}")
                continue
            except FinalProviderError as exc:
                failures.append(f"{code}: the provider refused the balance check: {exc.message}")
                continue
            except ProviderError as exc:  # transient: timeout, connection, 5xx, 429
                failures.append(f"{code}: the provider is unreachable: {exc.message}")
                continue
            stored = provider_record_balance(code=code, balance=balance)
            line = f"{code}: balance {balance.amount:,.2f} {balance.currency}"
            if stored.last_balance < stored.low_balance_threshold:
                line += f" (below the low-balance threshold {stored.low_balance_threshold:,.2f})"
            self.stdout.write(line)
        if failures:
            raise CommandError("Balance check failed: " + "; ".join(failures))
