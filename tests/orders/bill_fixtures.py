"""Bill types on the Digiflazz simulator (live_server): PLN postpaid, BPJS, PDAM, a telco."""

from decimal import Decimal

import pytest

from catalog.models import DenominationType, InputSchema
from providers.defaults import provider_ensure
from shop.models import PriceTier
from tests.catalog.factories import (
    BrandFactory,
    CategoryFactory,
    PricingRuleFactory,
    ProductFactory,
)

RETAIL_FEE, RESELLER_FEE = Decimal("1500.00"), Decimal("1000.00")
BILL_SKUS = {"pln": "PLN Pascabayar", "bpjs": "BPJS Kesehatan", "pdam": "PDAM", "halo": "Halo"}


@pytest.fixture
def simulator(live_server, settings):
    settings.DIGIFLAZZ_BASE_URL = live_server.url + "/sim/digiflazz/v1"
    settings.DIGIFLAZZ_TESTING = False
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def bill_products(db) -> dict:
    """One bill product per type, each type its own category with a flat fee per tier."""
    provider = provider_ensure("digiflazz")
    products = {}
    for sku, name in BILL_SKUS.items():
        category = CategoryFactory(name=f"Bills {name}", slug=f"bills-{sku}")
        products[sku] = ProductFactory(
            provider=provider,
            provider_sku=sku,
            name=name,
            cost=Decimal("0"),
            denomination_type=DenominationType.BILL,
            brand=BrandFactory(name=name, category=category, input_schema=InputSchema.OTHER),
        )
        PricingRuleFactory(category=category, tier=PriceTier.RETAIL, flat_amount=RETAIL_FEE)
        PricingRuleFactory(category=category, tier=PriceTier.RESELLER, flat_amount=RESELLER_FEE)
    return products
