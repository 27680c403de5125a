from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from tests.catalog.factories import PricingRuleFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_the_command_reprices_and_says_how_many_products_changed(capsys):
    PricingRuleFactory(percent=Decimal("10"))
    product = ProductFactory()
    ProductFactory()

    call_command("reprice_catalog")
    call_command("reprice_catalog")

    first, second = capsys.readouterr().out.splitlines()
    assert first == "Repriced all providers: 2 product(s) changed price."
    assert second == "Repriced all providers: 0 product(s) changed price."
    product.refresh_from_db()
    assert product.price_retail == Decimal("11000.00")


def test_the_command_can_reprice_one_provider(capsys):
    PricingRuleFactory()
    mine, other = ProductFactory(), ProductFactory()

    call_command("reprice_catalog", "--provider", mine.provider.code)

    assert capsys.readouterr().out == (
        f"Repriced provider {mine.provider.code}: 1 product(s) changed price.\n"
    )
    other.refresh_from_db()
    assert other.price_retail is None


def test_an_unknown_provider_code_is_one_clear_error():
    with pytest.raises(CommandError) as caught:
        call_command("reprice_catalog", "--provider", "nope")

    assert str(caught.value) == "Unknown provider code 'nope'."
