"""Storefront test data: a Mobile Legends brand whose items are the Digiflazz simulator's
(SKU ML5, ML86), priced 5% over cost at retail and 2% for resellers, stored by repricing."""

from decimal import Decimal

from catalog.models import Brand, Category, InputSchema, Product, ShopItem
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


def checkout_token(client, *, slug: str = "mobile-legends") -> str:
    """A checkout token issued to `client`'s browser by a view of the brand page."""
    return client.get(f"/brands/{slug}/").context["checkout_token"]


def buy(client, form: dict, *, slug: str = "mobile-legends"):
    """POST the brand page's checkout form as the browser sends it: with the checkout token
    of a fresh view of the page."""
    return client.post(
        f"/buy/{slug}/", {"checkout_token": checkout_token(client, slug=slug), **form}
    )


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


def bulk_catalog(*, products: int, brands: int, into: Brand | None = None) -> list[Brand]:
    """`products` Digiflazz products spread evenly over `brands` new brands in 10 new
    categories (a tenth of the brands popular), or all into `into` when given; every tenth
    product is out of stock at the provider. Each is the one route of its own shop item.
    Stored prices are written directly (5% and 2% over cost, as `make_storefront`'s rules
    would), in bulk: fast enough for 10,000."""
    digiflazz = provider_ensure("digiflazz")
    if into is not None:
        targets = [into]
    else:
        categories = Category.objects.bulk_create(
            Category(name=f"Bulk category {i}", slug=f"bulk-category-{i}") for i in range(10)
        )
        targets = Brand.objects.bulk_create(
            Brand(
                name=f"Bulk brand {i:04d}",
                slug=f"bulk-brand-{i}",
                category=categories[i % len(categories)],
                input_schema=InputSchema.GAME_WITH_ZONE,
                is_popular=i % 10 == 0,
            )
            for i in range(brands)
        )
    start = Product.objects.count()
    items = ShopItem.objects.bulk_create(  # each product the one route of its own item
        (
            ShopItem(
                brand=targets[i % len(targets)],
                category_id=targets[i % len(targets)].category_id,
                name=f"Bulk item {start + i}",
                price_retail=Decimal(1000 + i) * Decimal("1.05"),
                price_reseller=Decimal(1000 + i) * Decimal("1.02"),
                unavailable_reason="" if i % 10 else "no route may be used",
            )
            for i in range(products)
        ),
        batch_size=2000,
    )
    Product.objects.bulk_create(
        (
            Product(
                shop_item=items[i],
                provider=digiflazz,
                provider_sku=f"BULK{start + i}",
                brand=targets[i % len(targets)],
                category_id=targets[i % len(targets)].category_id,
                name=f"Bulk item {start + i}",
                cost=Decimal(1000 + i),
                price_retail=Decimal(1000 + i) * Decimal("1.05"),
                price_reseller=Decimal(1000 + i) * Decimal("1.02"),
                provider_active=i % 10 != 0,
            )
            for i in range(products)
        ),
        batch_size=2000,
    )
    return targets
