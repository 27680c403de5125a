"""Catalog test data. The default product: FIXED, costs 10,000 IDR, an enabled upstream
provider at exchange rate 1, a brand whose buyers type a game user id. No pricing rule is
made by default: create one with PricingRuleFactory (global retail unless told otherwise).
"""

from decimal import Decimal

import factory

from catalog.models import (
    Brand,
    Category,
    DenominationType,
    InputSchema,
    PricingRule,
    PricingScope,
    Product,
    Provider,
    ProviderKind,
    ShopItem,
)
from shop.models import PriceTier


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    code = factory.Sequence(lambda n: f"provider{n}")
    name = factory.LazyAttribute(lambda o: o.code.title())
    kind = ProviderKind.UPSTREAM
    enabled = True
    currency = "IDR"
    exchange_rate = Decimal("1")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    category = factory.SubFactory(CategoryFactory)
    input_schema = InputSchema.GAME


class ShopItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShopItem

    brand = factory.SubFactory(BrandFactory)
    category = factory.SelfAttribute("brand.category")
    name = factory.Sequence(lambda n: f"Item {n}")
    denomination_type = DenominationType.FIXED


class ProductFactory(factory.django.DjangoModelFactory):
    """`ProductFactory(flexible=True)`: any amount 10,000 to 1,000,000 at 0.95 per unit.

    Each product is the one route of its own new shop item (same brand, category, name and
    range) unless given `shop_item` (another item's route) or `shop_item=None` (unmapped)."""

    class Meta:
        model = Product

    class Params:
        flexible = factory.Trait(
            denomination_type=DenominationType.FLEXIBLE,
            cost=Decimal("0.95"),
            min_amount=Decimal("10000"),
            max_amount=Decimal("1000000"),
        )

    provider = factory.SubFactory(ProviderFactory)
    provider_sku = factory.Sequence(lambda n: f"SKU{n}")
    brand = factory.SubFactory(BrandFactory)
    category = factory.SelfAttribute("brand.category")
    name = factory.Sequence(lambda n: f"Product {n}")
    cost = Decimal("10000")
    cost_currency = factory.SelfAttribute("provider.currency")
    denomination_type = DenominationType.FIXED
    min_amount = None
    max_amount = None
    shop_item = factory.Maybe(
        factory.LazyAttribute(lambda o: o.denomination_type != DenominationType.BILL),
        yes_declaration=factory.SubFactory(
            ShopItemFactory,
            brand=factory.SelfAttribute("..brand"),
            category=factory.SelfAttribute("..category"),
            name=factory.SelfAttribute("..name"),
            denomination_type=factory.SelfAttribute("..denomination_type"),
            min_amount=factory.SelfAttribute("..min_amount"),
            max_amount=factory.SelfAttribute("..max_amount"),
        ),
        no_declaration=None,
    )


def _scope_of(rule) -> str:
    if rule.item is not None:
        return PricingScope.ITEM
    if rule.product is not None:
        return PricingScope.PRODUCT
    if rule.brand is not None:
        return PricingScope.BRAND
    if rule.category is not None:
        return PricingScope.CATEGORY
    return PricingScope.GLOBAL


class PricingRuleFactory(factory.django.DjangoModelFactory):
    """The scope follows the target given: item=, product=, brand=, category= or none
    (global)."""

    class Meta:
        model = PricingRule

    item = None
    product = None
    brand = None
    category = None
    scope = factory.LazyAttribute(_scope_of)
    tier = PriceTier.RETAIL
    percent = Decimal("0")
    flat_amount = Decimal("0")
    min_margin = Decimal("0")
    rounding_step = Decimal("1")
    active = True
