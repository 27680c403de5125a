"""Shop-item pricing (catalog.services.items): the rule on the cheapest usable route, the
margin floor against the dearest route that may be used, item rules, stored prices that
follow a route's cost and state, and items with no usable route."""

from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import ShopItem
from catalog.services import catalog_reprice_all, catalog_reprice_product, catalog_reprice_products
from catalog.services.items import catalog_item_price_for, catalog_reprice_items
from shop.models import PriceTier
from tests.catalog.factories import (
    PricingRuleFactory,
    ProductFactory,
    ProviderFactory,
    ShopItemFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def item():
    return ShopItemFactory()


def route(item, cost, **kwargs):
    return ProductFactory(
        shop_item=item, brand=item.brand, category=item.category, cost=Decimal(cost), **kwargs
    )


def price(item, tier=PriceTier.RETAIL, amount=None):
    return catalog_item_price_for(item=item, tier=tier, amount=amount)


def test_the_price_is_the_rule_on_the_cheapest_route(item):
    PricingRuleFactory(percent=Decimal("10"), rounding_step=Decimal("100"))
    route(item, "9000")
    route(item, "9100")

    quote = price(item)
    assert quote.for_sale
    assert quote.price == Decimal("9900.00")  # 9,000 * 1.1
    assert (quote.cost, quote.floor_cost) == (Decimal("9000.00"), Decimal("9100.00"))


def test_the_floor_is_the_dearest_usable_route_plus_the_min_margin(item):
    PricingRuleFactory(
        percent=Decimal("2"), min_margin=Decimal("300"), rounding_step=Decimal("100")
    )
    route(item, "9000")  # 9,180 by the rule: below 9,700 + 300
    route(item, "9700")

    assert price(item).price == Decimal("10000.00")


def test_a_route_that_may_not_be_used_does_not_raise_the_floor(item):
    PricingRuleFactory(
        percent=Decimal("2"), min_margin=Decimal("300"), rounding_step=Decimal("100")
    )
    route(item, "9000")
    route(item, "12000", admin_active=False)
    route(item, "13000", stock=0)
    route(item, "14000", provider=ProviderFactory(enabled=False))

    assert price(item).price == Decimal("9300.00")  # 9,180 < 9,000 + 300: the floor


def test_allow_below_cost_prices_from_the_cheapest_route_only(item):
    PricingRuleFactory(percent=Decimal("2"), min_margin=Decimal("100"))
    item.allow_below_cost = True
    item.save()
    route(item, "9000")
    route(item, "9700")

    assert price(item).price == Decimal("9180.00")


def test_allow_below_cost_still_refuses_under_the_cheapest_cost_plus_margin(item):
    PricingRuleFactory(percent=Decimal("0"), min_margin=Decimal("100"))
    item.allow_below_cost = True
    item.save()
    route(item, "9000")

    quote = price(item)
    assert not quote.for_sale
    assert "below cost" in quote.reason


def test_an_item_rule_beats_brand_and_global_rules(item):
    PricingRuleFactory(percent=Decimal("10"))
    PricingRuleFactory(brand=item.brand, percent=Decimal("5"))
    PricingRuleFactory(item=item, percent=Decimal("1"))
    PricingRuleFactory(item=ShopItemFactory(), percent=Decimal("50"))
    route(item, "10000")

    assert price(item).price == Decimal("10100.00")


def test_a_product_rule_of_the_cheapest_route_still_applies_without_an_item_rule(item):
    PricingRuleFactory(percent=Decimal("10"))
    cheap = route(item, "10000")
    PricingRuleFactory(product=cheap, percent=Decimal("3"))
    route(item, "10100")

    assert price(item).price == Decimal("10300.00")


def test_tiers_are_priced_apart(item):
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("2"))
    route(item, "10000")

    assert price(item, PriceTier.RESELLER).price == Decimal("10200.00")
    assert price(item, PriceTier.RETAIL).price == Decimal("10500.00")


def test_an_item_with_no_usable_route_is_not_for_sale_and_says_why(item):
    PricingRuleFactory(percent=Decimal("5"))
    route(item, "10000", provider_active=False)

    catalog_reprice_items(items=[item])
    item.refresh_from_db()
    assert (item.price_retail, item.unavailable_reason) == (None, "no route may be used")
    assert price(ShopItemFactory()).reason == "no route may be used"  # no route at all


def test_a_flexible_item_is_priced_per_amount_with_the_floor():
    PricingRuleFactory(percent=Decimal("1"), min_margin=Decimal("500"))
    item = ShopItemFactory(
        denomination_type="flexible", min_amount=Decimal("10000"), max_amount=Decimal("1000000")
    )
    ProductFactory(flexible=True, shop_item=item, brand=item.brand, cost=Decimal("0.95"))
    ProductFactory(flexible=True, shop_item=item, brand=item.brand, cost=Decimal("0.97"))

    # cheapest 95,000 * 1.01 = 95,950; floor 97,000 + 500
    assert price(item, amount=Decimal("100000")).price == Decimal("97500.00")
    assert not price(item).for_sale  # no amount
    assert not price(item, amount=Decimal("5")).for_sale
    catalog_reprice_items(items=[item])
    item.refresh_from_db()
    assert (item.price_retail, item.unavailable_reason) == (None, "")


def test_stored_prices_follow_a_route_cost_change(item):
    PricingRuleFactory(percent=Decimal("0"), min_margin=Decimal("100"))
    cheap = route(item, "9000")
    dear = route(item, "9500")
    catalog_reprice_items(items=[item])
    item.refresh_from_db()
    assert item.price_retail == Decimal("9600.00")

    dear.cost = Decimal("9900")
    dear.save()
    catalog_reprice_product(product=dear)
    item.refresh_from_db()
    assert item.price_retail == Decimal("10000.00")

    dear.admin_active = False
    dear.save()
    catalog_reprice_products(products=[dear])  # the bulk (PostgreSQL) path
    item.refresh_from_db()
    assert item.price_retail == Decimal("9100.00")
    assert cheap.shop_item_id == item.pk


def test_a_provider_out_of_balance_reprices_its_items_from_the_other_routes(item):
    PricingRuleFactory(percent=Decimal("0"), min_margin=Decimal("100"))
    route(item, "9000")
    dear = route(item, "9500")
    catalog_reprice_all()
    item.refresh_from_db()
    assert item.price_retail == Decimal("9600.00")

    dear.provider.out_of_balance_since = timezone.now()
    dear.provider.save()
    catalog_reprice_all(provider=dear.provider)
    item.refresh_from_db()
    assert item.price_retail == Decimal("9100.00")


def test_repricing_unchanged_items_writes_nothing(item):
    PricingRuleFactory(percent=Decimal("5"))
    route(item, "9000")
    assert catalog_reprice_items(items=[item]) == 1

    assert catalog_reprice_items(items=ShopItem.objects.values_list("pk", flat=True)) == 0
