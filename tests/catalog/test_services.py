from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import PriceChange
from catalog.services import catalog_price_for, catalog_reprice_all, catalog_reprice_product
from shop.models import PriceTier
from tests.catalog.factories import PricingRuleFactory, ProductFactory, ProviderFactory

pytestmark = pytest.mark.django_db

RETAIL = PriceTier.RETAIL
RESELLER = PriceTier.RESELLER


def _price(product, tier=RETAIL, amount=None):
    return catalog_price_for(product=product, tier=tier, amount=amount)


# catalog_price_for


def test_percent_and_flat_amount_are_added_to_the_cost():
    product = ProductFactory(cost=Decimal("10000"))
    rule = PricingRuleFactory(percent=Decimal("10"), flat_amount=Decimal("500"))

    quote = _price(product)

    assert quote.for_sale
    assert quote.price == Decimal("11500.00")
    assert quote.cost == Decimal("10000.00")
    assert quote.margin == Decimal("1500.00")
    assert quote.rule == rule
    assert quote.reason == ""


def test_the_price_is_rounded_up_to_the_rules_step():
    product = ProductFactory(cost=Decimal("10123"))
    PricingRuleFactory(percent=Decimal("5"), rounding_step=Decimal("100"))

    # 10,123 x 1.05 = 10,629.15, rounded up to a multiple of 100.
    assert _price(product).price == Decimal("10700.00")


def test_a_price_already_on_the_step_is_not_rounded_further():
    product = ProductFactory(cost=Decimal("10000"))
    PricingRuleFactory(percent=Decimal("5"), rounding_step=Decimal("100"))

    assert _price(product).price == Decimal("10500.00")


def test_the_cost_is_converted_at_the_providers_exchange_rate():
    usd = ProviderFactory(currency="USD", exchange_rate=Decimal("16000"))
    product = ProductFactory(provider=usd, cost=Decimal("1.50"))
    PricingRuleFactory(percent=Decimal("2"))

    quote = _price(product)

    assert quote.cost == Decimal("24000.00")
    assert quote.price == Decimal("24480.00")


def test_the_converted_cost_is_rounded_to_cents():
    provider = ProviderFactory(currency="USD", exchange_rate=Decimal("16123.456789"))
    product = ProductFactory(provider=provider, cost=Decimal("1.2345"))
    PricingRuleFactory()

    # 1.2345 x 16,123.456789 = 19,904.4074...
    assert _price(product).cost == Decimal("19904.41")


def test_each_tier_is_priced_by_its_own_rules_only():
    product = ProductFactory()
    PricingRuleFactory(tier=RESELLER, percent=Decimal("3"))

    retail, reseller = _price(product, RETAIL), _price(product, RESELLER)

    assert not retail.for_sale
    assert retail.price is None
    assert retail.reason == "no pricing rule for retail"
    assert reseller.price == Decimal("10300.00")


def test_the_most_specific_rule_sets_the_price():
    product = ProductFactory()
    PricingRuleFactory(percent=Decimal("10"))
    PricingRuleFactory(brand=product.brand, percent=Decimal("7"))
    PricingRuleFactory(brand=product.brand, percent=Decimal("1"), active=False)

    assert _price(product).price == Decimal("10700.00")


def test_a_price_below_cost_plus_minimum_margin_is_not_for_sale():
    product = ProductFactory()
    rule = PricingRuleFactory(percent=Decimal("1"), min_margin=Decimal("200"))

    quote = _price(product)

    assert not quote.for_sale
    assert quote.price is None
    assert quote.margin is None
    assert quote.rule == rule
    assert quote.reason == "price 10100.00 is below cost 10000.00 plus minimum margin 200.00"


def test_a_price_exactly_at_the_minimum_margin_is_for_sale():
    product = ProductFactory()
    PricingRuleFactory(percent=Decimal("2"), min_margin=Decimal("200"))

    assert _price(product).price == Decimal("10200.00")


@pytest.mark.parametrize(
    ("make_product", "reason"),
    [
        (
            lambda: ProductFactory(provider=ProviderFactory(code="vendor", enabled=False)),
            "provider vendor is disabled",
        ),
        (lambda: ProductFactory(provider_active=False), "inactive at the provider"),
        (lambda: ProductFactory(admin_active=False), "deactivated by an admin"),
    ],
)
def test_an_unavailable_product_is_not_for_sale(make_product, reason):
    product = make_product()
    PricingRuleFactory(percent=Decimal("10"))

    quote = _price(product)

    assert (quote.for_sale, quote.price, quote.reason) == (False, None, reason)
    assert quote.cost == Decimal("10000.00")


def test_a_flexible_product_costs_the_amount_times_its_unit_cost():
    product = ProductFactory(flexible=True)  # 0.95 per unit, 10,000 to 1,000,000
    PricingRuleFactory(percent=Decimal("2"))

    quote = _price(product, amount=Decimal("100000"))

    assert quote.cost == Decimal("95000.00")
    assert quote.price == Decimal("96900.00")


def test_a_flexible_product_sells_its_minimum_and_maximum_amounts():
    product = ProductFactory(flexible=True)
    PricingRuleFactory()

    assert _price(product, amount=Decimal("10000")).price == Decimal("9500.00")
    assert _price(product, amount=Decimal("1000000")).price == Decimal("950000.00")


def test_a_flexible_product_needs_an_amount_in_its_range():
    product = ProductFactory(flexible=True)
    product.refresh_from_db()
    PricingRuleFactory()

    missing = _price(product)
    too_small = _price(product, amount=Decimal("9999"))
    too_big = _price(product, amount=Decimal("1000001"))

    assert (missing.for_sale, missing.price) == (False, None)
    assert missing.reason == "an amount between 10000.00 and 1000000.00 is required"
    assert too_small.reason == "amount 9999 is outside 10000.00 to 1000000.00"
    assert too_big.reason == "amount 1000001 is outside 10000.00 to 1000000.00"
    assert too_big.price is None


def test_a_fixed_product_ignores_an_amount():
    product = ProductFactory()
    PricingRuleFactory()

    assert _price(product, amount=Decimal("5")).price == Decimal("10000.00")


# catalog_reprice_product


@pytest.fixture
def both_tiers_priced():
    PricingRuleFactory(tier=RETAIL, percent=Decimal("10"))
    return PricingRuleFactory(tier=RESELLER, percent=Decimal("5"))


def _changes(product):
    return list(
        PriceChange.objects.filter(product=product)
        .order_by("pk")
        .values_list("tier", "old_price", "new_price", "cost", "reason")
    )


def test_repricing_stores_each_tiers_price_and_records_the_change(both_tiers_priced):
    product = ProductFactory()

    repriced = catalog_reprice_product(product=product, reason="sync")

    assert (product.price_retail, product.price_reseller) == (Decimal("11000"), Decimal("10500"))
    assert repriced.price_retail == product.price_retail
    product.refresh_from_db()
    assert (product.price_retail, product.price_reseller) == (Decimal("11000"), Decimal("10500"))
    assert product.unavailable_reason == ""
    assert _changes(product) == [
        (RETAIL, None, Decimal("11000.00"), Decimal("10000.0000"), "sync"),
        (RESELLER, None, Decimal("10500.00"), Decimal("10000.0000"), "sync"),
    ]


def test_repricing_an_unchanged_product_writes_nothing(both_tiers_priced):
    product = ProductFactory()
    catalog_reprice_product(product=product)
    product.refresh_from_db()
    updated_at = product.updated_at

    catalog_reprice_product(product=product)

    product.refresh_from_db()
    assert PriceChange.objects.filter(product=product).count() == 2
    assert product.updated_at == updated_at


def test_only_the_tier_whose_price_moved_gets_a_change_row(both_tiers_priced):
    product = ProductFactory()
    catalog_reprice_product(product=product)
    both_tiers_priced.percent = Decimal("6")
    both_tiers_priced.save()

    catalog_reprice_product(product=product, reason="rule changed")

    assert _changes(product)[2:] == [
        (RESELLER, Decimal("10500.00"), Decimal("10600.00"), Decimal("10000.0000"), "rule changed")
    ]


def test_an_unavailable_product_loses_its_prices_and_gets_them_back(both_tiers_priced):
    product = ProductFactory()
    catalog_reprice_product(product=product)
    product.admin_active = False
    product.save()

    catalog_reprice_product(product=product, reason="hidden")

    product.refresh_from_db()
    assert (product.price_retail, product.price_reseller) == (None, None)
    assert product.unavailable_reason == "deactivated by an admin"
    assert [change[2] for change in _changes(product)[2:]] == [None, None]
    assert _changes(product)[2][4] == "hidden; deactivated by an admin"

    product.admin_active = True
    product.save()
    catalog_reprice_product(product=product)

    product.refresh_from_db()
    assert product.price_retail == Decimal("11000.00")
    assert product.unavailable_reason == ""


def test_the_reseller_reason_is_kept_when_only_the_reseller_tier_fails():
    PricingRuleFactory(tier=RETAIL, percent=Decimal("10"))
    product = ProductFactory()

    catalog_reprice_product(product=product)

    product.refresh_from_db()
    assert (product.price_retail, product.price_reseller) == (Decimal("11000.00"), None)
    assert product.unavailable_reason == "no pricing rule for reseller"


def test_the_retail_reason_comes_first_when_both_tiers_fail():
    PricingRuleFactory(tier=RESELLER, percent=Decimal("1"), min_margin=Decimal("500"))
    product = ProductFactory()

    catalog_reprice_product(product=product)

    product.refresh_from_db()
    assert product.unavailable_reason == "no pricing rule for retail"


def test_a_flexible_product_stores_no_price_only_its_availability():
    product = ProductFactory(flexible=True)

    catalog_reprice_product(product=product)
    product.refresh_from_db()
    assert (product.price_retail, product.price_reseller, product.unavailable_reason) == (
        None,
        None,
        "",
    )

    product.provider_active = False
    product.save()
    catalog_reprice_product(product=product)
    product.refresh_from_db()
    assert product.unavailable_reason == "inactive at the provider"
    assert not PriceChange.objects.filter(product=product).exists()


def test_repricing_locks_the_product_row_then_its_shop_item(both_tiers_priced):
    product = ProductFactory()

    with CaptureQueriesContext(connection) as queries:
        catalog_reprice_product(product=product)

    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 2
    assert 'FOR UPDATE OF "catalog_product"' in locking[0]
    assert 'FOR UPDATE OF "catalog_shopitem"' in locking[1]


# catalog_reprice_all


def test_reprice_all_counts_the_products_whose_price_changed(both_tiers_priced):
    already_priced = ProductFactory()
    catalog_reprice_product(product=already_priced)
    ProductFactory.create_batch(2)

    assert catalog_reprice_all() == 2
    assert catalog_reprice_all() == 0


def test_reprice_all_can_be_limited_to_one_provider(both_tiers_priced):
    mine, other = ProductFactory(), ProductFactory()

    assert catalog_reprice_all(provider=mine.provider) == 1

    other.refresh_from_db()
    assert other.price_retail is None
    assert not PriceChange.objects.filter(product=other).exists()
