"""Failover at the simulators, through the normal placement path: a Mobile Legends item sold
at Digiflazz and VIP Reseller, bought with a zone ending in 83 (Digiflazz's simulator fails
it at once with rc 62, seller disrupted; VIP Reseller's delivers it): one order, two
attempts, delivered once by the second route, its cost in the ledger. Once in this process
(eager Celery) and once through a real Celery worker on Redis."""

from decimal import Decimal

import pytest

from catalog.models import InputSchema
from orders.models import AttemptOutcome, Order, OrderStatus
from providers.defaults import provider_ensure
from providers.digiflazz.simulator import SELLER_DOWN_SUFFIX
from providers.models import SimulatedOrder
from shop.celery import app
from tests.catalog.factories import BrandFactory, ProductFactory
from tests.conftest import wait_until
from tests.orders.fixtures import balance_of
from tests.pipeline.support import DIGIFLAZZ, VIPRESELLER, buy, fresh, refunds
from wallets.models import Transfer
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)

ZONE = f"20{SELLER_DOWN_SUFFIX}"  # 2083

# Mobile Legends 86 diamonds at both simulators, at their own prices.
DIGIFLAZZ_ML86 = ("ML86", Decimal("19850"))
VIP_ML86 = ("MLA86-S1", Decimal("19943"))


@pytest.fixture
def mobile_legends(pricing):
    """One shop item, two routes: Digiflazz (cheaper, tried first) and VIP Reseller."""
    brand = BrandFactory(name="Mobile Legends", input_schema=InputSchema.GAME_WITH_ZONE)
    first = ProductFactory(
        provider=provider_ensure(DIGIFLAZZ),
        brand=brand,
        provider_sku=DIGIFLAZZ_ML86[0],
        cost=DIGIFLAZZ_ML86[1],
    )
    ProductFactory(
        provider=provider_ensure(VIPRESELLER),
        brand=brand,
        shop_item=first.shop_item,
        provider_sku=VIP_ML86[0],
        cost=VIP_ML86[1],
    )
    return first


def assert_failed_over_and_delivered_once(order: Order, buyer, start: Decimal) -> None:
    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert order.provider_code == VIPRESELLER
    attempts = list(order.route_attempts.order_by("number"))
    assert [(a.reference, a.provider_code, a.outcome, a.provider_rc) for a in attempts] == [
        (order.code, DIGIFLAZZ, AttemptOutcome.FAILED, "62"),
        (f"{order.code}-2", VIPRESELLER, AttemptOutcome.DELIVERED, "success"),
    ]
    assert order.events.filter(message__startswith="Failed over from digiflazz to vipreseller")
    # one delivery: VIP delivered once, Digiflazz never made a transaction
    assert not SimulatedOrder.objects.filter(provider=DIGIFLAZZ, reference=order.code).exists()
    assert SimulatedOrder.objects.filter(provider=VIPRESELLER).count() == 1
    assert order.vouchers.count() == 1
    assert refunds(order) == 0
    assert balance_of(buyer) == start - order.price
    cost = Transfer.objects.get(idempotency_key=f"order:{order.code}:cost")
    assert cost.reference == f"{order.code}-2 {VIPRESELLER}"
    assert cost.legs.get(amount__gt=0).amount == VIP_ML86[1]
    assert ledger_check().ok


def test_a_final_failure_at_digiflazz_is_delivered_by_vip_reseller(sims, mobile_legends, buyer):
    start = balance_of(buyer)

    order = buy(mobile_legends, user=buyer, data={"user_id": "12345678", "zone_id": ZONE})

    # (VIP Reseller's simulator delivers this account at once)
    assert_failed_over_and_delivered_once(order, buyer, start)


@pytest.mark.worker
def test_the_failover_runs_through_a_real_worker(sims, mobile_legends, buyer, start_worker):
    start_worker(
        env={
            "DIGIFLAZZ_BASE_URL": sims + "/sim/digiflazz/v1",
            "VIPRESELLER_BASE_URL": sims + "/sim/vipreseller/api",
            "SIMULATOR_CALLBACK_BASE_URL": sims,
            "SIMULATOR_PENDING_SECONDS": "1",
        }
    )
    app.conf.task_always_eager = False  # the placements go through Redis to the worker
    try:
        start = balance_of(buyer)
        order = buy(mobile_legends, user=buyer, data={"user_id": "12345678", "zone_id": ZONE})
        delivered = wait_until(lambda: fresh(order).status == OrderStatus.SUCCESS, timeout=60)
    finally:
        app.conf.task_always_eager = True
    assert delivered, fresh(order).status
    assert_failed_over_and_delivered_once(order, buyer, start)
