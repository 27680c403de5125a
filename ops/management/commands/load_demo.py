"""python manage.py load_demo: what `make run` needs to look like a real shop.

Idempotent: providers and pricing rules are created only when missing; demo users get a
generated password printed once and their wallet balance through the ledger (keyed, once);
the catalog is synced from the simulators by the worker (once the web process serves them)
whenever the catalog is still empty, mapped into shop items as it comes (the demo sync
auto-maps whatever CATALOG_AUTO_MAP says); a catalog already there has its unmapped
products mapped now, provider by provider, so the same game from two providers is one
item with two routes (docs/catalog.md).
"""

import secrets
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalog.models import PricingRule, PricingScope, Product
from catalog.services.mapping import shop_items_auto_map, unmapped_products
from providers.defaults import PROVIDER_DEFAULTS, provider_ensure, upstream_providers
from providers.tasks import catalog_sync_demo
from shop.models import PriceTier, UserRole
from wallets.services import wallet_adjust, wallet_for_user

DEMO_USERS = [
    ("demo-reseller", UserRole.RESELLER, PriceTier.RESELLER, Decimal("1000000")),
    ("demo-customer", UserRole.CUSTOMER, PriceTier.RETAIL, Decimal("100000")),
]
DEMO_RULES = [
    (PriceTier.RETAIL, Decimal("5"), Decimal("100")),
    (PriceTier.RESELLER, Decimal("2"), Decimal("100")),
]


class Command(BaseCommand):
    help = "Load the demo: providers, pricing rules, demo users and the simulators' catalog."

    def handle(self, *args, **options):
        if not settings.SIMULATORS_ENABLED:
            raise CommandError("The demo needs the simulators (SIMULATORS_ENABLED=true).")
        with transaction.atomic():
            for code in PROVIDER_DEFAULTS:
                provider_ensure(code)
            self._pricing_rules()
            for username, role, tier, balance in DEMO_USERS:
                self._user(username, role, tier, balance)
        if not Product.objects.exists():
            catalog_sync_demo.apply_async(countdown=3)
            self.stdout.write("Catalog sync from the simulators queued (the worker runs it).")
        else:
            self._map_catalog()

    def _map_catalog(self) -> None:
        """Every unmapped product linked to its brand's item of the same face value, or
        given one, a provider at a time (the sync's auto-map over all of them)."""
        everything = datetime.min.replace(tzinfo=UTC)
        for provider in upstream_providers():
            if not unmapped_products().filter(provider=provider).exists():
                continue
            with transaction.atomic():
                counts = shop_items_auto_map(provider=provider, since=everything)
            self.stdout.write(
                f"Mapped {provider.name}: linked {counts.linked} to existing shop items, "
                f"created {counts.created}, {counts.unmapped} left to map in the admin."
            )

    def _pricing_rules(self) -> None:
        for tier, percent, step in DEMO_RULES:
            if not PricingRule.objects.filter(scope=PricingScope.GLOBAL, tier=tier).exists():
                PricingRule.objects.create(
                    scope=PricingScope.GLOBAL, tier=tier, percent=percent, rounding_step=step
                )

    def _user(self, username, role, tier, balance) -> None:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Demo user '{username}' already exists (password printed on the first run; "
                f"reset it with: python manage.py changepassword {username})."
            )
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(
            username=username,
            email=f"{username}@example.com",
            password=password,
            role=role,
            price_tier=tier,
        )
        # keyed: the demo balance is paid in once, whatever happens to the user later
        wallet_adjust(
            wallet=wallet_for_user(user=user),
            amount=balance,
            reason="Demo balance",
            idempotency_key=f"demo:{username}:balance",
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo user '{username}' ({role}), password '{password}', wallet balance "
                f"{balance} {settings.SHOP_CURRENCY} (shown once; log in at "
                f"{settings.SITE_URL}/accounts/login/)"
            )
        )
