"""The poll budget over a mixed fleet: pending orders that finish at different times (with
callbacks), never finish, or start with an unknown outcome, driven by the beat every 15 s
for 17 minutes (past every deadline: the slow schedule's first polls count too). Status
calls are counted from the call log (ProviderCall) per reference."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string

from orders.models import Order, OrderStatus
from providers.registry import UPSTREAM_ADAPTERS
from providers.simulators import simulators_resolve_due
from tests.pipeline.support import (
    DIGIFLAZZ,
    DIGIFLAZZ_TEST_PENDING_SUCCESS,
    FOXRELOAD,
    HUBBLE,
    STATUS_ENDPOINTS,
    TERMINAL,
    XLD10,
    buy,
    calls,
    make_product,
    poll_cycle,
    sim_orders,
)
from webhooks.models import WebhookDelivery, WebhookSource

pytestmark = pytest.mark.django_db(transaction=True)

RUN_FOR = timedelta(minutes=17)
# Status calls each provider's pending rule allows in that time (the deadline's included).
MAX_POLLS = {
    code: sum(1 for at in import_string(path).pending_rule.offsets() if at <= RUN_FOR)
    for code, path in UPSTREAM_ADAPTERS.items()
}
# Status reads that belong to the placement itself, not to polling.
PLACEMENT_READS = {HUBBLE: 0, DIGIFLAZZ: 1, FOXRELOAD: 1}


def status_calls(order: Order) -> int:
    return (
        calls(order, STATUS_ENDPOINTS[order.provider_code]).count()
        - PLACEMENT_READS[order.provider_code]
    )


def hubble_callbacks(order: Order) -> int:
    """Hubble's order-status callbacks carry no vouchers: each one is worth one fetch."""
    return WebhookDelivery.objects.filter(order=order, source=WebhookSource.HUBBLE_ORDER).count()


def test_no_order_is_polled_beyond_its_providers_budget(sims, pricing, buyer, clock, settings):
    settings.SIMULATOR_PENDING_SECONDS = 3600  # resolve times are set per order below
    rng = random.Random(20261123)
    hubble, digiflazz, foxreload = (
        make_product(HUBBLE),
        make_product(DIGIFLAZZ, sku=XLD10),
        make_product(FOXRELOAD),
    )
    dana = make_product(DIGIFLAZZ)
    fleet = []
    for _ in range(6):
        fleet.append((buy(hubble, user=buyer, suffix="91"), rng.uniform(0.5, 20)))
        fleet.append(
            (
                buy(digiflazz, user=buyer, data={"phone": DIGIFLAZZ_TEST_PENDING_SUCCESS}),
                rng.choice([None, rng.uniform(0.5, 14)]),
            )
        )
    for _ in range(2):  # outcome unknown at first (a reset reply): verified by reference
        fleet.append((buy(hubble, user=buyer, suffix="98"), None))
        fleet.append((buy(dana, user=buyer, suffix="98"), None))
    fleet.append((buy(foxreload, user=buyer, suffix="91"), 3.0))
    fleet.append((buy(foxreload, user=buyer, suffix="91"), None))
    for order, minutes in fleet:  # None: the provider is still pending at the deadline
        resolve_at = order.first_requested_at + timedelta(minutes=minutes or 600)
        sim_orders(order).filter(resolve_at__isnull=False).update(resolve_at=resolve_at)

    end = timezone.now() + RUN_FOR
    while timezone.now() < end:
        simulators_resolve_due()  # the simulators' beat: finish what is due, call back
        poll_cycle()
        clock.shift(timedelta(seconds=15))

    over_budget = []
    for order, _minutes in fleet:
        order = Order.objects.get(pk=order.pk)
        assert order.status in TERMINAL, order.code
        allowed = MAX_POLLS[order.provider_code] + hubble_callbacks(order)
        if status_calls(order) > allowed:
            over_budget.append((order.code, order.provider_code, status_calls(order), allowed))
    assert over_budget == []
    statuses = {Order.objects.get(pk=o.pk).status for o, _ in fleet}
    assert {OrderStatus.SUCCESS, OrderStatus.NEEDS_REVIEW} <= statuses
