"""`make run`'s demo: load_demo makes the demo reseller and customer, funded through the ledger,
with passwords printed once; a second run changes nothing."""

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from shop.models import PriceTier, User, UserRole
from tests.catalog.factories import ProductFactory
from wallets.models import Transfer
from wallets.selectors import ledger_check
from wallets.services import wallet_for_user

pytestmark = pytest.mark.django_db

PASSWORD = re.compile(r"Demo user '([\w-]+)'.*password '([^']+)'")


@pytest.fixture
def catalog_present():
    # a catalog already there: load_demo queues no sync from the simulators
    ProductFactory()


def _passwords(output: str) -> dict[str, str]:
    return dict(PASSWORD.findall(output))


def test_load_demo_makes_the_reseller_and_customer_with_their_balances(catalog_present, capsys):
    call_command("load_demo")
    passwords = _passwords(capsys.readouterr().out)

    reseller = User.objects.get(username="demo-reseller")
    customer = User.objects.get(username="demo-customer")
    assert (reseller.role, reseller.price_tier) == (UserRole.RESELLER, PriceTier.RESELLER)
    assert (customer.role, customer.price_tier) == (UserRole.CUSTOMER, PriceTier.RETAIL)
    assert wallet_for_user(user=reseller).balance == Decimal("1000000.00")
    assert wallet_for_user(user=customer).balance == Decimal("100000.00")
    assert set(passwords) == {"demo-reseller", "demo-customer"}
    assert reseller.check_password(passwords["demo-reseller"])
    assert customer.check_password(passwords["demo-customer"])
    assert len(passwords["demo-reseller"]) >= 12
    # the money came through the ledger: one transfer each, and the ledger is consistent
    assert Transfer.objects.filter(idempotency_key__startswith="demo:").count() == 2
    assert ledger_check().ok


def test_load_demo_run_again_changes_nothing_and_prints_no_password(catalog_present, capsys):
    call_command("load_demo")
    first = _passwords(capsys.readouterr().out)
    transfers = Transfer.objects.count()
    users = User.objects.count()

    call_command("load_demo")
    second = capsys.readouterr().out

    assert Transfer.objects.count() == transfers
    assert User.objects.count() == users
    assert wallet_for_user(user=User.objects.get(username="demo-reseller")).balance == Decimal(
        "1000000.00"
    )
    assert _passwords(second) == {}
    for password in first.values():
        assert password not in second
    assert "Demo user 'demo-reseller' already exists" in second
    assert ledger_check().ok


def test_load_demo_maps_a_catalog_already_there_into_shop_items(capsys):
    """The same game from two providers becomes one item with two routes (the demo shows
    routing); a product without a match gets an item of its own."""
    from catalog.models import ShopItem
    from providers.defaults import provider_ensure
    from tests.catalog.factories import BrandFactory

    brand = BrandFactory(name="Mobile Legends", slug="mobile-legends")
    digiflazz, vip = provider_ensure("digiflazz"), provider_ensure("vipreseller")
    for provider, sku in ((digiflazz, "ML86"), (vip, "MLA86-S1")):
        ProductFactory(
            provider=provider,
            provider_sku=sku,
            brand=brand,
            face_value=Decimal("86"),
            shop_item=None,
        )
    ProductFactory(provider=vip, brand=brand, face_value=Decimal("1048"), shop_item=None)

    call_command("load_demo")

    out = capsys.readouterr().out
    assert "Mapped VIP Reseller: linked 1 to existing shop items, created 1" in out
    (two_routes,) = [item for item in ShopItem.objects.all() if item.routes.count() == 2]
    assert set(two_routes.routes.values_list("provider__code", flat=True)) == {
        "digiflazz",
        "vipreseller",
    }
    assert ShopItem.objects.count() == 2
