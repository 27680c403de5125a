from decimal import Decimal

import pytest

from catalog.models import Product
from catalog.selectors import (
    active_pricing_rules,
    pricing_rule_for,
    products_for_sale,
    stored_price_field,
)
from shop.models import PriceTier
from tests.catalog.factories import (
    CategoryFactory,
    PricingRuleFactory,
    ProductFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db

RETAIL = PriceTier.RETAIL
RESELLER = PriceTier.RESELLER


@pytest.fixture
def product():
    return ProductFactory()


@pytest.fixture
def rules_of_every_scope(product):
    """One retail rule per scope for `product`, created least specific first."""
    return {
        "global": PricingRuleFactory(),
        "category": PricingRuleFactory(category=product.category),
        "brand": PricingRuleFactory(brand=product.brand),
        "product": PricingRuleFactory(product=product),
    }


def _winner(product, tier=RETAIL):
    """The rule chosen, both with one query per product and from the preloaded list."""
    queried = pricing_rule_for(product=product, tier=tier)
    preloaded = pricing_rule_for(product=product, tier=tier, rules=active_pricing_rules())
    assert queried == preloaded
    return queried


@pytest.mark.parametrize(
    ("removed", "expected"),
    [
        ((), "product"),
        (("product",), "brand"),
        (("product", "brand"), "category"),
        (("product", "brand", "category"), "global"),
    ],
)
def test_the_most_specific_active_rule_wins(product, rules_of_every_scope, removed, expected):
    for scope in removed:
        rules_of_every_scope[scope].delete()

    assert _winner(product) == rules_of_every_scope[expected]


def test_inactive_rules_are_ignored(product, rules_of_every_scope):
    for scope in ("product", "brand"):
        rules_of_every_scope[scope].active = False
        rules_of_every_scope[scope].save()

    assert _winner(product) == rules_of_every_scope["category"]


def test_a_product_without_a_category_is_priced_by_its_brands_category():
    product = ProductFactory(category=None)
    brand_category_rule = PricingRuleFactory(category=product.brand.category)
    PricingRuleFactory(category=CategoryFactory())  # another category's rule never applies

    assert _winner(product) == brand_category_rule


def test_the_products_own_category_comes_before_its_brands():
    product = ProductFactory(category=CategoryFactory())
    own_category_rule = PricingRuleFactory(category=product.category)
    PricingRuleFactory(category=product.brand.category)

    assert _winner(product) == own_category_rule


def test_rules_of_other_products_brands_and_tiers_do_not_apply(product):
    other = ProductFactory()
    PricingRuleFactory(product=other)
    PricingRuleFactory(brand=other.brand)
    PricingRuleFactory(category=other.category)
    PricingRuleFactory(product=product, tier=RESELLER)

    assert _winner(product) is None
    assert _winner(product, RESELLER).product == product


def test_within_one_scope_the_oldest_rule_wins(product):
    oldest = PricingRuleFactory(brand=product.brand, percent=Decimal("5"))
    PricingRuleFactory(brand=product.brand, percent=Decimal("9"))

    assert _winner(product) == oldest


def test_a_preloaded_rule_list_prices_many_products_without_queries(
    django_assert_num_queries,
):
    products = ProductFactory.create_batch(3)
    for product in products:
        PricingRuleFactory(brand=product.brand)
    rules = active_pricing_rules()
    products = list(
        Product.objects.select_related("brand").filter(pk__in=[product.pk for product in products])
    )

    with django_assert_num_queries(0):
        chosen = [pricing_rule_for(product=p, tier=RETAIL, rules=rules) for p in products]

    assert [rule.brand_id for rule in chosen] == [p.brand_id for p in products]


def test_products_for_sale_have_a_stored_price_and_nothing_stopping_them():
    for_sale = ProductFactory(price_retail=Decimal("11000"), price_reseller=Decimal("10500"))
    retail_only = ProductFactory(price_retail=Decimal("11000"))
    ProductFactory(price_retail=Decimal("11000"), admin_active=False)
    ProductFactory(price_retail=Decimal("11000"), provider_active=False)
    ProductFactory(price_retail=Decimal("11000"), provider=ProviderFactory(enabled=False))
    ProductFactory()  # no stored price

    assert set(products_for_sale(tier=RETAIL)) == {for_sale, retail_only}
    assert set(products_for_sale(tier=RESELLER)) == {for_sale}


def test_an_unknown_tier_is_refused():
    assert stored_price_field(RESELLER) == "price_reseller"
    with pytest.raises(ValueError, match="unknown price tier 'vip'"):
        products_for_sale(tier="vip")
