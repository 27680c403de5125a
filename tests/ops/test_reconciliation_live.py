"""Reconciliation against the provider simulators: what we booked agrees with what each one
reports, and one injected difference at each provider and at the gateway is found and
sent to finance."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from catalog.models import Product
from ops.models import ReconciliationRun
from ops.reconciliation import reconcile_all
from ops.services import ops_order_fail_and_refund
from ops.tasks import reconcile_daily
from orders.models import OrderStatus
from providers.base import OrderRequest
from providers.defaults import provider_ensure
from providers.hubble import simulator_state
from providers.registry import get_adapter
from providers.sync import catalog_sync
from shop.models import Notification
from tests.ops.conftest import make_staff
from tests.pipeline.support import (
    DIGIFLAZZ,
    FOXRELOAD,
    HUBBLE,
    SIM_PRODUCTS,
    VIPRESELLER,
    buy,
    make_product,
)

pytestmark = pytest.mark.django_db(transaction=True)

DANA10 = SIM_PRODUCTS[DIGIFLAZZ]


@pytest.fixture
def shop(sims, pricing, buyer, staff_groups):
    """A product at each simulator, a funded buyer, a finance member, and the first
    reconciliation (Hubble's baseline reading; nothing else to compare yet)."""
    products = {code: make_product(code) for code in (DIGIFLAZZ, HUBBLE, FOXRELOAD)}
    finance = make_staff("fiona", "finance")
    start = timezone.now() - timedelta(minutes=1)
    baseline = reconcile_all(start=start, end=timezone.now())
    assert all(run.ok for run in baseline), [run.problems for run in baseline]
    assert not reconciliation_notices().exists()
    return {"products": products, "buyer": buyer, "finance": finance, "start": start}


def reconciliation_notices():
    return Notification.objects.filter(title__startswith="Reconciliation")


def reconcile(shop) -> dict[str, list[ReconciliationRun]]:
    runs = reconcile_all(start=shop["start"], end=timezone.now() + timedelta(minutes=1))
    by_code = {}
    for run in runs:
        by_code.setdefault(run.code, []).append(run)
    return by_code


def spend_elsewhere_at_digiflazz() -> None:
    """Another client of our Digiflazz account buys DANA10: the deposit pays for something
    we never booked."""
    get_adapter(DIGIFLAZZ).place_order(
        OrderRequest(reference="ELSEWHERE-1", sku=DANA10.sku, customer_no="081299990000")
    )


def test_everything_agrees_with_the_simulators(shop, clock):
    products, buyer = shop["products"], shop["buyer"]
    orders = [buy(products[DIGIFLAZZ], user=buyer, suffix=f"0{n}") for n in range(3)]
    orders += [buy(products[HUBBLE], user=buyer), buy(products[FOXRELOAD], user=buyer)]
    assert {order.status for order in orders} == {OrderStatus.SUCCESS}

    runs = reconcile(shop)

    assert {code: [run.ok for run in found] for code, found in runs.items()} == {
        DIGIFLAZZ: [True, True],  # the charges, then the buyer_last_saldo chain
        FOXRELOAD: [True],
        HUBBLE: [True],
        "tripay": [True],
    }
    chain = runs[DIGIFLAZZ][1]
    assert chain.booked == chain.reported == 3 * DANA10.cost
    assert runs[FOXRELOAD][0].booked == runs[FOXRELOAD][0].reported == Decimal("0.99")
    assert runs[HUBBLE][0].reported == SIM_PRODUCTS[HUBBLE].cost
    assert not reconciliation_notices().exists()

    clock.shift(timedelta(days=1))  # the daily task reconciles yesterday: these orders
    since = timezone.now()
    reconcile_daily.delay()

    daily = ReconciliationRun.objects.filter(created_at__gte=since).order_by("pk")
    assert [(run.code, run.ok) for run in daily] == [
        (DIGIFLAZZ, True),
        (DIGIFLAZZ, True),
        (FOXRELOAD, True),
        (HUBBLE, True),
        ("tripay", True),
    ]
    assert daily[1].booked == 3 * DANA10.cost
    assert daily[2].booked == Decimal("0.99")


def test_hubble_orders_cost_the_gross_amount_and_the_balance_reconciles(shop):
    """Hubble debits production orders at the gross (face) amount, whatever the brand's
    `discountPercentage` (docs.myhubble.money/api/wallet): the catalog's cost, the order's
    cost and the simulator's debit all say so, and the balance reconciliation agrees."""
    hubble = provider_ensure(HUBBLE)
    assert catalog_sync(provider=hubble).status == "success"
    synced = Product.objects.get(provider=hubble, provider_sku="amazon-pay:500")
    assert synced.cost == Decimal("500")  # amazon-pay has a 2.5% discountPercentage
    balance_before = simulator_state.wallet_balance()

    order = buy(synced, user=shop["buyer"])

    assert order.status == OrderStatus.SUCCESS
    assert order.cost == Decimal("500") * hubble.exchange_rate
    assert balance_before - simulator_state.wallet_balance() == Decimal("500")
    [run] = reconcile(shop)[HUBBLE]
    assert run.ok, run.problems
    assert run.booked == run.reported == Decimal("500")


def test_an_injected_difference_at_each_provider_and_the_gateway_reaches_finance(shop, settings):
    products, buyer = shop["products"], shop["buyer"]
    # Digiflazz: our two orders, with someone else's purchase charged between them.
    first = buy(products[DIGIFLAZZ], user=buyer)
    spend_elsewhere_at_digiflazz()
    second = buy(products[DIGIFLAZZ], user=buyer, suffix="01")
    # FoxReload: staff failed and refunded an order FoxReload is still processing (charged).
    settings.SIMULATOR_PENDING_SECONDS = 3600
    kept = buy(products[FOXRELOAD], user=buyer, suffix="91")
    ops_order_fail_and_refund(order=kept, actor=shop["finance"], reason="looked stuck")
    delivered = buy(products[FOXRELOAD], user=buyer)
    # Hubble: the wallet lost 12.50 more than the order we booked.
    buy(products[HUBBLE], user=buyer)
    simulator_state.set_wallet_balance(simulator_state.wallet_balance() - Decimal("12.50"))
    # The gateway: a guest order marked paid without a callback from Tripay.
    guest = buy(products[DIGIFLAZZ], guest_email="guest@example.com", suffix="02")
    assert {first.status, second.status, delivered.status} == {OrderStatus.SUCCESS}

    runs = reconcile(shop)

    charges, chain = runs[DIGIFLAZZ]
    assert charges.ok  # every order was charged its booked price
    assert not chain.ok
    saldo_after_first = Decimal(
        first.events.get(data__status="SUCCESS").data["raw"]["buyer_last_saldo"]
    )
    assert [problem["order"] for problem in chain.problems] == [second.code]
    assert Decimal(chain.problems[0]["expected"]) == saldo_after_first - DANA10.cost
    assert Decimal(chain.problems[0]["difference"]) == -DANA10.cost  # the purchase elsewhere
    assert chain.difference == DANA10.cost

    [fox] = runs[FOXRELOAD]
    assert [
        (p["order"], p["status"], p["booked"], p["reported"], p["provider_status"])
        for p in fox.problems
    ] == [(kept.code, OrderStatus.REFUNDED, "0", "0.99", "processing")]
    assert fox.difference == Decimal("0.99")

    [hubble] = runs[HUBBLE]
    assert not hubble.ok
    assert hubble.difference == Decimal("12.50")

    [gateway] = runs["tripay"]
    assert [problem["order"] for problem in gateway.problems] == [guest.code]
    assert gateway.difference == -guest.price

    told = reconciliation_notices().get(user=shop["finance"])
    assert told.title == "Reconciliation found 4 difference(s)"
    for code in (DIGIFLAZZ, FOXRELOAD, HUBBLE, "tripay"):
        assert f"{code}:" in told.message
    assert any(message.to == ["fiona@example.com"] for message in mail.outbox)

    out = io.StringIO()
    with pytest.raises(CommandError, match="differences; finance staff were notified"):
        call_command("reconcile", "--date", timezone.localdate().isoformat(), stdout=out)
    assert f"'order': '{kept.code}'" in out.getvalue()
    assert "buyer_last_saldo breaks the chain" in out.getvalue()


def test_vipreseller_charges_are_compared_order_by_order(shop):
    vip = make_product(VIPRESELLER)
    delivered = buy(vip, user=shop["buyer"])
    assert delivered.status == OrderStatus.SUCCESS
    Product.objects.filter(pk=vip.pk).update(cost=Decimal("19000"))  # booked below VIP's price
    underbooked = buy(Product.objects.get(pk=vip.pk), user=shop["buyer"], suffix="01")
    assert underbooked.status == OrderStatus.SUCCESS

    (run,) = reconcile(shop)[VIPRESELLER]

    assert run.method == "per order: cost / rate vs `price` in the success reply"
    assert run.booked == Decimal("19943") + Decimal("19000")
    assert run.reported == 2 * Decimal("19943")
    assert not run.ok
    assert [(p["order"], p["problem"]) for p in run.problems] == [
        (underbooked.code, "charged differs from booked")
    ]
