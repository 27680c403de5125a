"""The bill types a provider pays, kept in the catalog (docs/bills.md, "Bill types").

Each item of the provider's postpaid price list becomes a Product of type `bill` under a
category per bill type ("Bills: PLN", "Bills: PDAM"…), so one pricing rule per category is
that type's fee. Items gone from the list are deactivated; nothing else is touched (the
prepaid sync leaves bill products alone).
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog.models import (
    Brand,
    Category,
    DenominationType,
    InputSchema,
    PricingRule,
    PricingScope,
    Product,
)
from providers.bills import get_bill_adapter
from providers.defaults import provider_ensure
from shop.models import PriceTier

BILL_TYPE_NAMES = {
    "pln": "PLN",
    "bpjs": "BPJS",
    "pdam": "PDAM",
    "telco": "Telco",
    "internet": "Internet",
    "multifinance": "Multifinance",
    "other": "Other",
}
# `make run`'s fee per bill and tier (load_demo); a real shop sets its own rules.
DEMO_FEES = {PriceTier.RETAIL: Decimal("2500"), PriceTier.RESELLER: Decimal("1500")}


def bill_products_sync(*, provider_code: str = "digiflazz") -> int:
    """Upsert the provider's postpaid price list as bill products; returns how many are
    active. Provider errors (ProviderError, NotConfigured) reach the caller."""
    from providers.digiflazz.postpaid import bill_type_of  # the one provider with bills

    items = get_bill_adapter(provider_code).fetch_bill_catalog()
    provider = provider_ensure(provider_code)
    now = timezone.now()
    seen = []
    with transaction.atomic():
        for item in items:
            if not item.sku:
                continue
            bill_type = bill_type_of(item.category)
            category, _ = Category.objects.get_or_create(
                slug=f"bills-{bill_type}",
                defaults={"name": f"Bills: {BILL_TYPE_NAMES[bill_type]}", "sort_order": 900},
            )
            brand, _ = Brand.objects.get_or_create(
                slug=f"bills-{slugify(item.brand) or bill_type}",
                defaults={
                    "name": item.brand or BILL_TYPE_NAMES[bill_type],
                    "category": category,
                    "input_schema": InputSchema.OTHER,
                },
            )
            product, _ = Product.objects.update_or_create(
                provider=provider,
                provider_sku=item.sku,
                defaults={
                    "brand": brand,
                    "category": category,
                    "name": item.name,
                    "description": item.description,
                    "cost": Decimal("0"),
                    "cost_currency": provider.currency,
                    "denomination_type": DenominationType.BILL,
                    "provider_active": item.active,
                    "last_synced_at": now,
                },
            )
            seen.append(product.pk)
        Product.objects.filter(provider=provider, denomination_type=DenominationType.BILL).exclude(
            pk__in=seen
        ).update(provider_active=False, last_synced_at=now)
    return Product.objects.filter(pk__in=seen, provider_active=True).count()


def bill_demo_fees() -> None:
    """Give each bill category without a rule the demo's flat fees (load_demo)."""
    for category in Category.objects.filter(slug__startswith="bills-"):
        for tier, fee in DEMO_FEES.items():
            PricingRule.objects.get_or_create(
                scope=PricingScope.CATEGORY,
                category=category,
                tier=tier,
                defaults={"flat_amount": fee},
            )
