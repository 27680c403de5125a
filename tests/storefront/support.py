"""Storefront test data: a Mobile Legends brand whose items are the Digiflazz simulator's
(SKU ML5, ML86), priced 5% over cost at retail and 2% for resellers, stored by repricing."""

from decimal import Decimal

from catalog.models import Brand, InputSchema, Product
from catalog.services import catalog_reprice_all
from providers.defaults import provider_ensure
from shop.models import PriceTier
from tests.catalog.factories import (
    BrandFactory,
    CategoryFactory,
    PricingRuleFactory,
    ProductFactory,
)

ML5_RETAIL = Decimal("1495.00")  # 1,423 + 5%, rounded up to 1
ML5_RESELLER = Decimal("1452.00")  # 1,423 + 2%
GAME_ZONE_INPUT = {"user_id": "12345678", "zone_id": "1234"}


def make_storefront() -> tuple[Brand, Product, Product]:
    """(brand, ML5, ML86-inactive-at-provider) with stored prices."""
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("2"))
    digiflazz = provider_ensure("digiflazz")
    brand = BrandFactory(
        name="Mobile Legends",
        slug="mobile-legends",
        category=CategoryFactory(name="Games", slug="games"),
        input_schema=InputSchema.GAME_WITH_ZONE,
        instructions="Enter your User ID and Zone ID.",
        is_popular=True,
    )
    ml5 = ProductFactory(
        provider=digiflazz,
        provider_sku="ML5",
        brand=brand,
        name="MOBILE LEGENDS 5 Diamond",
        cost=Decimal("1423"),
    )
    ml86 = ProductFactory(
        provider=digiflazz,
        provider_sku="ML86",
        brand=brand,
        name="MOBILE LEGENDS 86 Diamond",
        cost=Decimal("19850"),
        provider_active=False,
    )
    catalog_reprice_all()
    ml5.refresh_from_db()
    ml86.refresh_from_db()
    return brand, ml5, ml86
