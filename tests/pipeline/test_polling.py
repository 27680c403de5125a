"""Pending orders: polled from the database on each provider's schedule, or settled by the
provider's callback; past the deadline they go to a person, never refunded by the clock.

The clock travels (time-machine, seen by the simulators in the live server too); each
"beat" is one eager run of the orders_poll_due task."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from orders import pipeline
from orders.models import Order, OrderStatus
from providers.models import SimulatedOrder
from providers.simulators import simulators_resolve_due
from tests.orders.fixtures import balance_of
from tests.pipeline.support import (
    DIGIFLAZZ,
    DIGIFLAZZ_TEST_PENDING_FAILURE,
    DIGIFLAZZ_TEST_PENDING_SUCCESS,
    FOXRELOAD,
    HUBBLE,
    STATUS_ENDPOINTS,
    VIPRESELLER,
    XLD10,
    buy,
    calls,
    fresh,
    make_product,
    move_to,
    poll_cycle,
    refunds,
    sim_orders,
    status_checks,
)
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)

MINUTE = timedelta(minutes=1)


def poll_until_settled(order: Order, clock, *, limit: int = 60) -> tuple[Order, list[timedelta]]:
    """Move the clock to each next poll and run a beat, until the order leaves
    `processing`; returns the order and when (after the first request) each beat ran."""
    beats = []
    for _ in range(limit):
        order = fresh(order)
        if order.status != OrderStatus.PROCESSING:
            return order, beats
        move_to(clock, order.next_poll_at)
        beats.append(timezone.now() - order.first_requested_at)
        poll_cycle()
    raise AssertionError(f"{order.code} still processing after {limit} beats")


def pending_product(code: str):
    return make_product(DIGIFLAZZ, sku=XLD10) if code == DIGIFLAZZ else make_product(code)


def pending_data(code: str, *, succeed: bool = True) -> dict:
    if code == DIGIFLAZZ:  # Digiflazz's documented test numbers
        return {
            "phone": DIGIFLAZZ_TEST_PENDING_SUCCESS if succeed else DIGIFLAZZ_TEST_PENDING_FAILURE
        }
    if code == VIPRESELLER:  # a Mobile Legends zone ending in 91 / 92
        return {"user_id": "12345678", "zone_id": f"20{91 if succeed else 92}"}
    return {"email": f"buyer{91 if succeed else 92}@example.com"}


@pytest.mark.parametrize("code", [HUBBLE, DIGIFLAZZ])
def test_pending_is_polled_5_times_asked_once_more_at_the_deadline_and_handed_to_a_person(
    sims, pricing, buyer, clock, settings, code
):
    settings.SIMULATOR_PENDING_SECONDS = 3600  # the provider never finishes it in time
    before = balance_of(buyer)
    order = buy(pending_product(code), user=buyer, data=pending_data(code))

    assert order.status == OrderStatus.PROCESSING
    assert order.provider_status == "PENDING"
    assert not order.needs_verification
    first = order.first_requested_at
    assert order.next_poll_at == first + MINUTE
    assert order.deadline_at == first + 15 * MINUTE
    poll_cycle()  # nothing is due before the first minute
    assert status_checks(order) == 0

    order, beats = poll_until_settled(order, clock)

    assert order.status == OrderStatus.NEEDS_REVIEW  # a person is told; nothing refunded
    assert order.waiting_on_provider
    assert balance_of(buyer) == before - order.price
    assert refunds(order) == 0
    assert order.review_at >= first + 15 * MINUTE
    assert status_checks(order) == 6
    assert order.poll_count == 6
    # Hubble: polls at 1, 4, 7, 10 and 13 minutes; Digiflazz: 2 minutes apart from the first
    # minute; then a last status call at the deadline
    expected = [1, 4, 7, 10, 13, 15] if code == HUBBLE else [1, 3, 5, 7, 9, 15]
    assert [round(beat / MINUTE) for beat in beats] == expected
    assert order.next_poll_at == first + 25 * MINUTE  # the slow schedule goes on
    assert sim_orders(order).count() == 1
    assert ledger_check().ok


def test_digiflazz_status_check_reposts_the_same_ref_id(sims, pricing, buyer, clock):
    order = buy(pending_product(DIGIFLAZZ), user=buyer, data=pending_data(DIGIFLAZZ))
    assert order.status == OrderStatus.PROCESSING

    order, _beats = poll_until_settled(order, clock)

    assert order.status == OrderStatus.SUCCESS
    assert order.vouchers.get().serial == "1234567890"  # Digiflazz's test serial
    posts = list(calls(order, {"transaction"}).values_list("request_body", flat=True))
    assert len(posts) == 2  # the placement and one status check
    assert all(f'"ref_id": "{order.code}"' in body for body in posts)
    assert SimulatedOrder.objects.filter(provider=DIGIFLAZZ).count() == 1


@pytest.mark.parametrize("code", [HUBBLE, FOXRELOAD, VIPRESELLER])
def test_a_pending_order_finished_at_the_provider_is_delivered_by_the_poll(
    sims, pricing, buyer, clock, code
):
    order = buy(make_product(code), user=buyer, suffix="91")
    assert order.status == OrderStatus.PROCESSING

    order, beats = poll_until_settled(order, clock)

    assert order.status == OrderStatus.SUCCESS
    assert order.vouchers.count() == 1
    assert len(beats) == 1
    assert sim_orders(order).count() == 1


@pytest.mark.parametrize("code", [HUBBLE, DIGIFLAZZ, VIPRESELLER])
@pytest.mark.parametrize("succeed", [True, False])
def test_the_providers_callback_settles_a_pending_order_before_any_poll(
    sims, pricing, buyer, clock, code, succeed
):
    before = balance_of(buyer)
    order = buy(pending_product(code), user=buyer, data=pending_data(code, succeed=succeed))
    assert order.status == OrderStatus.PROCESSING

    clock.shift(timedelta(seconds=5))  # the simulator's pending time (1 s) has passed
    assert simulators_resolve_due() == 1  # → the provider's real, signed callback

    order = fresh(order)
    sim_order = sim_orders(order).get()
    assert sim_order.callback_sent_at is not None
    if succeed:
        assert order.status == OrderStatus.SUCCESS
        assert order.vouchers.count() == 1
    else:
        assert order.status == OrderStatus.REFUNDED
        assert balance_of(buyer) == before
    # Digiflazz's callback carries the result; Hubble's and VIP Reseller's (whose static
    # signature signs nothing of the body) make us fetch it once.
    assert status_checks(order) == (0 if code == DIGIFLAZZ else 1)
    assert ledger_check().ok


def test_foxreload_is_polled_every_5_s_for_a_minute_then_every_30_s_until_10_minutes(
    sims, pricing, buyer, clock, settings
):
    settings.SIMULATOR_PENDING_SECONDS = 3600
    order = buy(make_product(FOXRELOAD), user=buyer, suffix="91")
    first = order.first_requested_at
    assert order.deadline_at == first + 10 * MINUTE

    order, beats = poll_until_settled(order, clock)

    assert order.status == OrderStatus.NEEDS_REVIEW  # staff alerted; FoxReload not cancelled
    offsets = [round(beat.total_seconds()) for beat in beats]
    fast = [5 * n for n in range(1, 13)]
    slow = [60 + 30 * n for n in range(1, 19)]
    assert offsets == [offset + 1 for offset in fast + slow]  # +1: move_to lands a second late
    assert order.poll_count == 30  # the last one at the deadline
    # one status read belongs to the placement (FoxReload is read back after paying)
    assert calls(order, STATUS_ENDPOINTS[FOXRELOAD]).count() == 1 + 30


def test_foxreload_keeps_its_30_s_rhythm_under_the_configured_beat(
    sims, pricing, buyer, clock, settings
):
    """The beat runs every 15 s (CELERY_BEAT_SCHEDULE), so the first minute's 5 s polls
    come late; what falls behind must not be made up later by polling faster than the
    rule's 30 s."""
    settings.SIMULATOR_PENDING_SECONDS = 3600
    beat = timedelta(seconds=settings.CELERY_BEAT_SCHEDULE["orders-poll-due"]["schedule"])
    order = buy(make_product(FOXRELOAD), user=buyer, suffix="91")
    first = order.first_requested_at

    while fresh(order).status == OrderStatus.PROCESSING:
        assert timezone.now() < first + 12 * MINUTE
        clock.shift(beat)
        poll_cycle()

    reads = list(calls(order, STATUS_ENDPOINTS[FOXRELOAD]).values_list("created_at", flat=True))
    polls = reads[1:]  # the first read is the placement's own
    assert fresh(order).status == OrderStatus.NEEDS_REVIEW
    assert len(polls) <= 30
    after_first_minute = [at for at in polls if at >= first + MINUTE]
    too_close = [
        (round((a - first).total_seconds()), round((b - first).total_seconds()))
        for a, b in itertools.pairwise(after_first_minute)
        if b - a < timedelta(seconds=29)
    ]
    assert too_close == []


def test_orders_poll_due_claims_only_due_processing_orders_in_bounded_batches(
    sims, products, buyer, settings
):
    settings.SIMULATOR_PENDING_SECONDS = 3600
    orders = [buy(products[HUBBLE], user=buyer, suffix="91") for _ in range(5)]
    now = timezone.now()
    for age, order in enumerate(orders):
        Order.objects.filter(pk=order.pk).update(next_poll_at=now - timedelta(seconds=10 - age))
    Order.objects.filter(pk=orders[4].pk).update(next_poll_at=now + MINUTE)  # not due
    Order.objects.filter(pk=orders[3].pk).update(status=OrderStatus.SUCCESS)  # not processing

    claims = pipeline.orders_poll_due(batch_size=2)

    assert [order_id for order_id, _ in claims] == [orders[0].pk, orders[1].pk]  # oldest first
    for order_id, claim in claims:
        claimed = Order.objects.get(pk=order_id)
        assert claimed.poll_claim == claim
        assert claimed.next_poll_at > timezone.now() + MINUTE  # leased
    rest = pipeline.orders_poll_due(batch_size=10)
    assert [order_id for order_id, _ in rest] == [orders[2].pk]
    assert pipeline.orders_poll_due() == []
