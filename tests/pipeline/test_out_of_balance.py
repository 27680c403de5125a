"""A provider's own balance runs out (Hubble E300, Digiflazz rc 44, FoxReload
BalanceNotEnough): the order fails and refunds, staff hear of it once, and that provider's
products stop selling until a balance check shows enough; the others keep selling."""

from decimal import Decimal

import pytest

from catalog.models import Product, Provider
from orders.models import OrderStatus
from orders.purchase import Purchase
from orders.services.creation import order_create
from providers.base import Balance
from providers.hubble import simulator_state
from providers.services import (
    provider_mark_out_of_balance,
    provider_record_balance,
    providers_check_balances,
)
from shop.errors import ApplicationError
from tests.orders.fixtures import balance_of
from tests.pipeline.support import (
    DIGIFLAZZ,
    FOXRELOAD,
    HUBBLE,
    UPSTREAMS,
    VIPRESELLER,
    buy,
    customer_data,
    for_sale,
    refunds,
    staff_notifications,
)
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)

OUT_OF_BALANCE_RC = {
    DIGIFLAZZ: "44",
    HUBBLE: "E300",
    FOXRELOAD: "BalanceNotEnough",
    VIPRESELLER: "out_of_balance",
}


def out_of_balance_notices(code: str):
    return staff_notifications(data__provider=code, title__contains="out of balance")


@pytest.mark.parametrize("code", UPSTREAMS)
def test_the_provider_out_of_balance_fails_the_order_and_stops_its_sales(
    sims, products, buyer, code
):
    start = balance_of(buyer)

    order = buy(products[code], user=buyer, suffix="99")

    assert order.status == OrderStatus.REFUNDED
    assert order.provider_rc == OUT_OF_BALANCE_RC[code]
    assert balance_of(buyer) == start
    assert refunds(order) == 1
    assert out_of_balance_notices(code).count() == 1
    assert Provider.objects.get(code=code).out_of_balance_since is not None
    assert not for_sale(products[code])
    others = [other for other in UPSTREAMS if other != code]
    assert all(for_sale(products[other]) for other in others)
    with pytest.raises(ApplicationError) as refused:
        order_create(
            purchase=Purchase(
                product=Product.objects.get(pk=products[code].pk),
                user=buyer,
                customer_data=customer_data(code),
                payment_method="balance",
            )
        )
    assert refused.value.code == "not_for_sale"
    # told once, however many orders run into it
    provider_mark_out_of_balance(code=code, message="again")
    assert out_of_balance_notices(code).count() == 1

    provider_record_balance(code=code, balance=Balance(amount=Decimal("5000000"), currency="X"))

    assert Provider.objects.get(code=code).out_of_balance_since is None
    assert for_sale(products[code])
    assert buy(products[code], user=buyer).status == OrderStatus.SUCCESS
    assert ledger_check().ok


def test_a_drained_hubble_wallet_sells_again_after_the_scheduled_balance_check(
    sims, products, buyer
):
    simulator_state.set_wallet_balance(Decimal("0"))
    order = buy(products[HUBBLE], user=buyer)
    assert order.status == OrderStatus.REFUNDED
    assert order.provider_rc == "E300"
    assert not for_sale(products[HUBBLE])

    outcomes = providers_check_balances()  # the simulator still says 0
    assert outcomes[HUBBLE].startswith("0")
    assert not for_sale(products[HUBBLE])

    simulator_state.set_wallet_balance(Decimal("100000"))  # topped up at Hubble
    outcomes = providers_check_balances()

    assert outcomes[HUBBLE].startswith("100000")
    assert for_sale(products[HUBBLE])
    assert for_sale(products[DIGIFLAZZ])
    assert for_sale(products[FOXRELOAD])


def test_digiflazz_sells_again_after_the_scheduled_balance_check(sims, products, buyer):
    buy(products[DIGIFLAZZ], user=buyer, suffix="99")
    assert not for_sale(products[DIGIFLAZZ])

    outcomes = providers_check_balances()

    assert outcomes[DIGIFLAZZ] == "10000000 IDR"  # the simulator's deposit
    assert for_sale(products[DIGIFLAZZ])


def test_foxreload_has_no_balance_check_so_only_a_recorded_balance_lifts_its_suspension(
    sims, products, buyer
):
    """FoxReload documents no balance endpoint: the scheduled check skips it, so after a
    BalanceNotEnough its products stay hidden until someone records a balance."""
    buy(products[FOXRELOAD], user=buyer, suffix="99")

    outcomes = providers_check_balances()

    assert outcomes[FOXRELOAD] == "no balance endpoint"
    assert not for_sale(products[FOXRELOAD])
    provider_record_balance(code=FOXRELOAD, balance=Balance(Decimal("500"), "USD"))
    assert for_sale(products[FOXRELOAD])


def test_staff_resume_a_provider_without_a_balance_endpoint(admin_client, db):
    from django.utils import timezone

    from catalog.services import catalog_price_for
    from shop.models import PriceTier
    from tests.catalog.factories import PricingRuleFactory, ProductFactory, ProviderFactory

    provider = ProviderFactory(code="foxreload", out_of_balance_since=timezone.now())
    product = ProductFactory(provider=provider)
    PricingRuleFactory(tier=PriceTier.RETAIL)
    assert not catalog_price_for(product=product, tier=PriceTier.RETAIL).for_sale

    response = admin_client.post(
        "/admin/catalog/provider/",
        {"action": "resume_selling", "_selected_action": [provider.pk]},
    )

    assert response.status_code == 302
    provider.refresh_from_db()
    product.refresh_from_db()
    assert provider.out_of_balance_since is None
    assert catalog_price_for(product=product, tier=PriceTier.RETAIL).for_sale
    assert product.price_retail is not None
