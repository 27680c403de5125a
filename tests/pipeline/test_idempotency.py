"""Every task run twice with the same arguments leaves the same state, and concurrent polls
of one order make one status call and one transition."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from orders import pipeline, tasks
from orders.models import Order, OrderStatus
from providers.digiflazz import simulator as digiflazz_simulator
from providers.hubble.adapter import HubbleAdapter
from providers.simulators import simulators_resolve_due
from tests.pipeline.support import (
    DIGIFLAZZ,
    DIGIFLAZZ_TEST_PENDING_SUCCESS,
    HUBBLE,
    XLD10,
    buy,
    fresh,
    make_product,
    move_to,
    sim_orders,
    status_checks,
)
from webhooks.models import DeliveryOutcome, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def state(order: Order) -> tuple:
    order = fresh(order)
    return (
        order.status,
        order.poll_count,
        order.provider_status,
        order.needs_verification,
        order.events.count(),
        order.vouchers.count(),
    )


def in_thread(target, *args, **kwargs) -> threading.Thread:
    """Run `target` in a thread with its own database connection (closed at the end)."""

    def run():
        try:
            target(*args, **kwargs)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def due_digiflazz_order(sims, pricing, buyer, clock):
    order = buy(
        make_product(DIGIFLAZZ, sku=XLD10),
        user=buyer,
        data={"phone": DIGIFLAZZ_TEST_PENDING_SUCCESS},
    )
    assert order.status == OrderStatus.PROCESSING
    move_to(clock, order.next_poll_at)
    return order


@pytest.fixture
def held_hubble_checks(monkeypatch):
    """Hubble status checks wait at the door until `release` is set; `inside` is set when
    the first one arrives."""
    inside, release = threading.Event(), threading.Event()
    original = HubbleAdapter.check_order

    def check_order(self, request):
        inside.set()
        assert release.wait(15)
        return original(self, request)

    monkeypatch.setattr(HubbleAdapter, "check_order", check_order)
    return inside, release


def test_each_task_twice_leaves_the_same_state(due_digiflazz_order):
    order = due_digiflazz_order
    tasks.order_place.delay(order.pk)
    assert state(order) == (OrderStatus.PROCESSING, 0, "PENDING", False, 3, 0)

    [(order_id, claim)] = pipeline.orders_poll_due()
    assert pipeline.orders_poll_due() == []  # the second beat finds it leased
    tasks.order_poll.delay(order_id, claim)
    done = state(order)
    assert done[0] == OrderStatus.SUCCESS

    for run in (
        lambda: tasks.order_poll.delay(order_id, claim),
        lambda: tasks.order_place.delay(order.pk),
        tasks.orders_poll_due.delay,
        tasks.orders_reconcile.delay,
        tasks.orders_expire_unpaid.delay,
    ):
        run()
        run()
        assert state(order) == done
    assert status_checks(order) == 1


def test_a_repeated_callback_is_a_duplicate(due_digiflazz_order):
    order = due_digiflazz_order
    assert simulators_resolve_due() == 1
    done = state(order)
    assert done[0] == OrderStatus.SUCCESS

    digiflazz_simulator.send_callback(sim_orders(order).get())

    assert state(order) == done
    outcomes = list(WebhookDelivery.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == [DeliveryOutcome.PROCESSED, DeliveryOutcome.DUPLICATE]


def test_two_workers_with_the_same_claim_make_one_call_and_one_transition(due_digiflazz_order):
    order = due_digiflazz_order
    [(order_id, claim)] = pipeline.orders_poll_due()
    barrier = threading.Barrier(2)

    def poll():
        barrier.wait()
        pipeline.order_poll(order_id=order_id, claim=claim)

    threads = [in_thread(poll), in_thread(poll)]
    for thread in threads:
        thread.join(30)

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert order.events.filter(to_status=OrderStatus.SUCCESS).count() == 1
    assert status_checks(order) == 1
    assert order.poll_count == 1


def test_two_pollers_at_once_claim_disjoint_orders(sims, products, buyer, settings):
    settings.SIMULATOR_PENDING_SECONDS = 3600
    orders = [buy(products[HUBBLE], user=buyer, suffix="91") for _ in range(30)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(
        next_poll_at=timezone.now() - timedelta(seconds=1)
    )
    barrier = threading.Barrier(2)
    results: list[list] = [[], []]

    def beat(slot: int):
        barrier.wait()
        results[slot] = pipeline.orders_poll_due(batch_size=20)

    threads = [in_thread(beat, 0), in_thread(beat, 1)]
    for thread in threads:
        thread.join(30)

    claimed = [order_id for result in results for order_id, _ in result]
    assert len(claimed) == len(set(claimed))  # no order claimed twice
    assert sorted(claimed) == sorted(o.pk for o in orders)  # and none left behind
    # how the 30 split depends on how the two claims' scans interleave; each claims at most
    # its batch
    assert all(len(result) <= 20 for result in results)
    current = dict(Order.objects.values_list("pk", "poll_claim"))
    for result in results:
        for order_id, claim in result:
            assert current[order_id] == claim


def test_a_callback_poll_during_a_beat_poll_makes_no_second_status_call(
    sims, products, buyer, clock, settings, held_hubble_checks
):
    """The beat's poll is inside its status call when Hubble's order-status callback asks
    for the order now (order_poll_soon → order_poll without a claim)."""
    inside, release = held_hubble_checks
    settings.SIMULATOR_PENDING_SECONDS = 3600
    order = buy(products[HUBBLE], user=buyer, suffix="91")
    move_to(clock, order.next_poll_at)
    [(order_id, claim)] = pipeline.orders_poll_due()

    beat_poll = in_thread(pipeline.order_poll, order_id=order_id, claim=claim)
    assert inside.wait(15)
    callback_poll = in_thread(tasks.order_poll.delay, order_id)  # what order_poll_soon sends
    callback_poll.join(2)
    release.set()
    beat_poll.join(30)
    callback_poll.join(30)

    assert status_checks(order) == 1
    assert fresh(order).poll_count == 1


def test_the_same_claim_while_the_first_poll_is_in_its_call_is_refused(
    sims, products, buyer, clock, settings, held_hubble_checks
):
    inside, release = held_hubble_checks
    settings.SIMULATOR_PENDING_SECONDS = 3600
    order = buy(products[HUBBLE], user=buyer, suffix="91")
    move_to(clock, order.next_poll_at)
    [(order_id, claim)] = pipeline.orders_poll_due()

    first = in_thread(pipeline.order_poll, order_id=order_id, claim=claim)
    assert inside.wait(15)
    assert pipeline.order_poll(order_id=order_id, claim=claim) is None  # a redelivery
    release.set()
    first.join(30)

    assert status_checks(order) == 1
    assert fresh(order).poll_count == 1
