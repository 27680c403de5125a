"""Unknown outcomes: a placement whose reply was lost (timeout, reset, 5xx, 429, garbage)
leaves the order processing and marked for verification; the next step looks it up by
reference before anything else; only "never placed" allows placing it again, with the
same reference; nothing is refunded while the outcome is unknown."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from orders import pipeline
from orders.models import Order, OrderStatus
from providers.base import VERIFY_AFTER
from providers.hubble import simulator as hubble_simulator
from providers.models import CallOutcome, SimulatedOrder
from providers.simulators import Scenario, scenario_for
from tests.orders.fixtures import balance_of
from tests.pipeline.support import (
    DIGIFLAZZ,
    FOXRELOAD,
    HUBBLE,
    PLACE_ENDPOINTS,
    VIPRESELLER,
    buy,
    calls,
    fresh,
    move_to,
    poll_cycle,
    refunds,
    sim_orders,
    staff_notifications,
)
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)

MINUTE = timedelta(minutes=1)


def assert_unknown_and_unrefunded(order, buyer, paid_balance):
    assert order.status == OrderStatus.PROCESSING
    assert order.needs_verification
    assert order.provider_status == "UNKNOWN"
    assert balance_of(buyer) == paid_balance  # nothing refunded while unknown
    assert refunds(order) == 0


@pytest.fixture
def fail_placement_once(monkeypatch):
    """The Hubble simulator answers the first order it is sent with `scenario` (an HTTP
    500 or 429 that creates nothing), and behaves normally afterwards: a provider that
    recovers."""

    def arm(scenario: Scenario) -> None:
        answered = []

        def scripted(customer_no: str) -> Scenario:
            if not answered:
                answered.append(customer_no)
                return scenario
            return scenario_for(customer_no)

        monkeypatch.setattr(hubble_simulator, "scenario_for", scripted)

    return arm


# Providers that can find an order whose reply was lost (VIP Reseller cannot: below).
FINDS_A_LOST_ORDER = (DIGIFLAZZ, HUBBLE, FOXRELOAD)


@pytest.mark.parametrize("code", FINDS_A_LOST_ORDER)
def test_a_reply_lost_to_a_timeout_is_found_by_reference(
    sims, products, buyer, clock, settings, code
):
    assert settings.PROVIDER_READ_TIMEOUT < settings.SIMULATOR_SLOW_SECONDS
    start = balance_of(buyer)
    order = buy(products[code], user=buyer, suffix="94")
    paid_balance = start - order.price

    assert_unknown_and_unrefunded(order, buyer, paid_balance)
    assert calls(order).last().outcome == CallOutcome.TIMEOUT  # FoxReload: the pay call
    assert order.next_poll_at >= order.processing_at + VERIFY_AFTER  # back-off
    placed = calls(order).count()

    move_to(clock, order.next_poll_at)
    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert order.vouchers.count() == 1
    assert sim_orders(order).count() == 1  # found, not placed a second time
    after = list(calls(order).values_list("endpoint", flat=True))[placed:]
    expected_lookup = {
        DIGIFLAZZ: ["transaction"],  # Digiflazz's status check is the same ref_id re-posted
        HUBBLE: ["orders/by-reference"],  # no Hubble order id yet: by our reference
        FOXRELOAD: ["orders.get"],  # by the id the create reply gave
    }[code]
    assert after == expected_lookup
    assert ledger_check().ok


@pytest.mark.parametrize(
    ("code", "suffix"),
    [(DIGIFLAZZ, "98"), (DIGIFLAZZ, "97"), (HUBBLE, "98"), (HUBBLE, "97"), (FOXRELOAD, "98")],
)
def test_a_reset_or_garbled_reply_is_verified_not_refunded(
    sims, products, buyer, clock, code, suffix
):
    start = balance_of(buyer)
    order = buy(products[code], user=buyer, suffix=suffix)
    assert_unknown_and_unrefunded(order, buyer, start - order.price)

    move_to(clock, order.next_poll_at)
    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert sim_orders(order).count() == 1  # the order the lost reply was about
    if code != DIGIFLAZZ:  # (Digiflazz places and checks on one endpoint)
        assert calls(order, PLACE_ENDPOINTS[code]).count() == 1


@pytest.mark.parametrize("scenario", [Scenario.SERVER_ERROR, Scenario.RATE_LIMITED])
def test_hubble_places_again_with_the_same_reference_after_not_found(
    sims, products, buyer, clock, fail_placement_once, scenario
):
    fail_placement_once(scenario)
    start = balance_of(buyer)
    order = buy(products[HUBBLE], user=buyer)
    assert_unknown_and_unrefunded(order, buyer, start - order.price)
    assert not SimulatedOrder.objects.exists()  # the 5xx/429 created nothing
    placed_at = order.processing_at

    # Back-off: nothing is asked again before VERIFY_AFTER (2 minutes).
    move_to(clock, placed_at + MINUTE)
    poll_cycle()
    assert calls(order).count() == 1
    move_to(clock, order.next_poll_at)
    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert order.attempts == 2
    trail = list(calls(order).values_list("endpoint", "http_status"))
    assert trail == [
        ("orders/create", 500 if scenario == Scenario.SERVER_ERROR else 429),
        ("orders/by-reference", 404),  # never placed → may be placed again
        ("orders/create", 200),
    ]
    assert SimulatedOrder.objects.get().reference == order.code
    assert ledger_check().ok


def test_a_rate_limited_status_check_backs_off_and_stays_unknown(
    sims, products, buyer, clock, settings
):
    start = balance_of(buyer)
    order = buy(products[DIGIFLAZZ], user=buyer, suffix="96")
    assert_unknown_and_unrefunded(order, buyer, start - order.price)

    move_to(clock, order.next_poll_at)
    poll_cycle()

    order = fresh(order)
    assert_unknown_and_unrefunded(order, buyer, start - order.price)
    checks = list(calls(order).order_by("pk"))[1:]
    assert [call.http_status for call in checks] == [429, 429, 429]
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in itertools.pairwise(checks)]
    assert gaps[0] >= 0.5
    assert gaps[1] >= 1.0
    assert order.next_poll_at >= timezone.now() + VERIFY_AFTER - timedelta(seconds=5)


def test_an_outcome_unknown_past_the_deadline_is_not_refunded_and_goes_to_review(
    sims, products, buyer, clock
):
    start = balance_of(buyer)
    order = buy(products[DIGIFLAZZ], user=buyer, suffix="95")  # every answer is a 500
    paid_balance = start - order.price
    assert_unknown_and_unrefunded(order, buyer, paid_balance)

    move_to(clock, order.deadline_at - 5 * MINUTE)
    poll_cycle()
    order = fresh(order)
    assert_unknown_and_unrefunded(order, buyer, paid_balance)

    move_to(clock, order.deadline_at)
    poll_cycle()  # the deadline's status call: still a 500

    order = fresh(order)
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.waiting_on_provider  # still asked, on the slow schedule
    assert order.next_poll_at > timezone.now()
    assert balance_of(buyer) == paid_balance
    assert refunds(order) == 0
    assert staff_notifications(title__contains=order.code).count() == 1
    assert not SimulatedOrder.objects.exists()

    move_to(clock, order.next_poll_at)
    poll_cycle()  # a slow poll: still a 500, still nobody refunded, nobody told twice
    order = fresh(order)
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert refunds(order) == 0
    assert staff_notifications(title__contains=order.code).count() == 1


def test_a_never_placed_order_is_not_placed_again_after_its_deadline(sims, products, buyer, clock):
    start = balance_of(buyer)
    order = buy(products[HUBBLE], user=buyer, suffix="95")  # Hubble keeps answering 500
    assert_unknown_and_unrefunded(order, buyer, start - order.price)
    deadline = order.deadline_at

    move_to(clock, deadline + MINUTE)
    poll_cycle()  # by reference: 404, never placed

    late_creates = calls(order, {"orders/create"}).filter(created_at__gte=deadline)
    assert list(late_creates.values_list("created_at", flat=True)) == []
    assert fresh(order).status == OrderStatus.REFUNDED  # known never placed: safe to refund


def test_a_provider_that_keeps_failing_does_not_hold_the_order_forever(
    sims, products, buyer, clock
):
    """Hubble answers every order with a 500 (nothing created) and every lookup with 404:
    the order may not stay processing past the point where an unknown outcome goes to a
    person (its deadline)."""
    order = buy(products[HUBBLE], user=buyer, suffix="95")
    give_up = order.deadline_at

    move_to(clock, give_up + MINUTE)
    poll_cycle()
    if fresh(order).status == OrderStatus.PROCESSING:
        move_to(clock, fresh(order).next_poll_at)
        poll_cycle()

    order = fresh(order)
    assert order.status in (OrderStatus.REFUNDED, OrderStatus.NEEDS_REVIEW), (
        f"{order.status}, {order.attempts} placements, next try {order.next_poll_at}"
    )


class WorkerDied(BaseException):
    """What a worker killed in the middle of the provider call looks like to the code."""


def test_a_placement_cut_short_is_verified_then_placed_with_the_same_reference(
    sims, products, buyer, clock, monkeypatch
):
    def die(order, adapter):
        raise WorkerDied

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_place_and_apply", die)
        with pytest.raises(WorkerDied):
            buy(products[HUBBLE], user=buyer)
    order = Order.objects.get()
    assert order.status == OrderStatus.PROCESSING
    assert order.needs_verification
    assert not SimulatedOrder.objects.exists()

    move_to(clock, order.next_poll_at)
    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert [c.endpoint for c in calls(order)] == ["orders/by-reference", "orders/create"]
    assert SimulatedOrder.objects.get().reference == order.code


def test_a_foxreload_id_outlives_a_worker_that_dies_after_paying(
    sims, products, buyer, clock, monkeypatch
):
    """FoxReload has no lookup by reference: its order id is kept the moment the create
    returns it, so the order can be looked up even when the worker dies mid-placement."""
    from providers.foxreload.client import FoxReloadClient

    pay = FoxReloadClient.pay_order

    def pay_then_die(self, *args, **kwargs):
        pay(self, *args, **kwargs)  # FoxReload charged us
        raise WorkerDied

    with monkeypatch.context() as patch:
        patch.setattr(FoxReloadClient, "pay_order", pay_then_die)
        with pytest.raises(WorkerDied):
            buy(products[FOXRELOAD], user=buyer)
    order = Order.objects.get()
    assert order.status == OrderStatus.PROCESSING
    placed = SimulatedOrder.objects.get(provider=FOXRELOAD)
    assert order.provider_order_id == placed.external_id

    for _ in range(10):
        move_to(clock, fresh(order).next_poll_at)
        poll_cycle()
        if fresh(order).status != OrderStatus.PROCESSING:
            break

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert order.vouchers.exists()
    assert SimulatedOrder.objects.filter(provider=FOXRELOAD).count() == 1  # never placed twice


@pytest.mark.parametrize(("suffix", "made"), [("94", True), ("98", True), ("95", False)])
def test_vipreseller_lost_reply_is_never_placed_again_nor_refunded_and_goes_to_a_person(
    sims, products, buyer, clock, suffix, made
):
    """VIP takes no reference of ours: an order whose reply was lost has no trxid to be
    found by. It may exist and be charged at VIP, so it is neither placed again nor
    refunded; at the deadline a person gets it (to settle against VIP's transaction list)."""
    start = balance_of(buyer)
    order = buy(products[VIPRESELLER], user=buyer, suffix=suffix)
    paid_balance = start - order.price
    assert_unknown_and_unrefunded(order, buyer, paid_balance)
    assert order.provider_order_id == ""

    for _ in range(40):
        order = fresh(order)
        if order.status != OrderStatus.PROCESSING:
            break
        move_to(clock, order.next_poll_at)
        poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.provider_status == "UNKNOWN"
    assert calls(order, PLACE_ENDPOINTS[VIPRESELLER]).count() == 1  # never placed again
    assert calls(order, {"status"}).count() == 0  # nothing to ask VIP by
    assert SimulatedOrder.objects.filter(provider=VIPRESELLER).exists() is made
    assert balance_of(buyer) == paid_balance
    assert refunds(order) == 0
    assert staff_notifications(title__contains=order.code).exists()
    assert ledger_check().ok
