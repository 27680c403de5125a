"""The whole path through a real Celery worker on real Redis: paid → placed at a simulator
→ pending → callback or poll → delivered, or failed and refunded; a pending order past its
deadline handed to a person and settled by a later answer; and the faults a worker meets:
killed in the middle of a placement, a placement message lost in the broker.

The simulators run in this process's live server; the worker reaches them through the
URLs in its environment. The test process does not run tasks itself here (eager mode is
off), so everything a task enqueues goes through Redis to the worker."""

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order, OrderStatus
from providers.models import SimulatedOrder
from providers.simulators import simulators_resolve_due
from shop.celery import app
from tests.conftest import wait_until
from tests.orders.fixtures import balance_of
from tests.pipeline.support import (
    DIGIFLAZZ,
    DIGIFLAZZ_TEST_PENDING_SUCCESS,
    HUBBLE,
    XLD10,
    buy,
    calls,
    fresh,
    make_product,
    refunds,
    sim_orders,
)
from wallets.selectors import ledger_check

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_env(sims) -> dict[str, str]:
    """What a worker needs to reach the simulators of this test's live server."""
    return {
        "DIGIFLAZZ_BASE_URL": sims + "/sim/digiflazz/v1",
        "HUBBLE_BASE_URL": sims + "/sim/hubble",
        "FOXRELOAD_BASE_URL": sims + "/sim/foxreload",
        "SIMULATOR_CALLBACK_BASE_URL": sims,
        "SIMULATOR_PENDING_SECONDS": "1",
    }


@pytest.fixture
def through_the_broker():
    """Tasks enqueued by this process (on_commit placement, callbacks' polls) go to Redis."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def status_of(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def reaches(order: Order, status: str, timeout: float = 30) -> bool:
    return wait_until(lambda: status_of(order) == status, timeout=timeout)


def make_due(order: Order) -> None:
    """As if the order's next poll time had come (the worker's clock is not travelling)."""
    Order.objects.filter(pk=order.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))


def test_paid_orders_run_the_whole_path_through_a_worker(
    products, buyer, worker_env, start_worker, through_the_broker
):
    start_worker(env=worker_env)
    start = balance_of(buyer)

    by_callback = buy(products[DIGIFLAZZ], user=buyer, suffix="91")
    by_poll = buy(products[DIGIFLAZZ], user=buyer, suffix="91")
    failing = buy(products[DIGIFLAZZ], user=buyer, suffix="92")
    hubble = buy(products[HUBBLE], user=buyer, suffix="91")
    for order in (by_callback, by_poll, failing, hubble):  # placed by the worker: pending
        assert wait_until(lambda o=order: fresh(o).provider_status == "PENDING"), order.code
        assert status_of(order) == OrderStatus.PROCESSING

    # by_poll's callback goes nowhere: only the worker's poll can deliver it.
    sim_orders(by_poll).update(callback_url="http://127.0.0.1:9/nowhere")
    time.sleep(1.2)  # the simulators' pending time (1 s)
    assert simulators_resolve_due() == 4  # callbacks to the live server
    make_due(by_poll)
    app.send_task("orders.tasks.orders_poll_due")

    for order in (by_callback, by_poll, hubble):
        assert reaches(order, OrderStatus.SUCCESS), order.code
        assert fresh(order).vouchers.count() == 1
    assert reaches(failing, OrderStatus.REFUNDED)
    assert refunds(failing) == 1
    spent = sum(fresh(order).price for order in (by_callback, by_poll, hubble))
    assert balance_of(buyer) == start - spent
    assert all(sim_orders(order).count() == 1 for order in (by_callback, by_poll, failing, hubble))
    assert ledger_check().ok


@pytest.mark.parametrize("code", [DIGIFLAZZ, HUBBLE])
def test_a_worker_killed_inside_the_provider_call_leaves_one_order_at_the_provider(
    products, buyer, worker_env, start_worker, through_the_broker, settings, code
):
    settings.SIMULATOR_SLOW_SECONDS = 6  # the simulator holds the reply this long
    env = {**worker_env, "PROVIDER_READ_TIMEOUT": "30"}  # the worker waits for it
    first = start_worker(env=env)

    order = buy(products[code], user=buyer, suffix="94")
    assert wait_until(lambda: sim_orders(order).exists(), timeout=30)  # inside the call
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)

    order = fresh(order)
    assert order.status == OrderStatus.PROCESSING
    assert order.needs_verification  # marked before the call: verified, never placed blind
    assert refunds(order) == 0
    calls_before = calls(order).count()  # (the killed call was never logged)

    start_worker(env=env)
    app.send_task("orders.tasks.orders_reconcile")  # nothing to place again: it is processing
    make_due(order)  # VERIFY_AFTER has passed
    app.send_task("orders.tasks.orders_poll_due")

    assert reaches(order, OrderStatus.SUCCESS)
    assert SimulatedOrder.objects.filter(provider=code, reference=order.code).count() == 1
    assert fresh(order).vouchers.count() == 1
    # the next step was a lookup by reference, not a second placement
    lookup = {DIGIFLAZZ: "transaction", HUBBLE: "orders/by-reference"}[code]
    assert [c.endpoint for c in calls(order)[calls_before:]] == [lookup]
    assert ledger_check().ok


def test_a_lost_placement_message_is_recovered_by_the_reconciler(
    products, buyer, worker_env, start_worker, through_the_broker
):
    order = buy(products[HUBBLE], user=buyer)  # order_place is now in the broker...
    app.control.purge()  # ...and lost
    assert status_of(order) == OrderStatus.PAID
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(minutes=3))

    start_worker(env=worker_env)
    app.send_task("orders.tasks.orders_reconcile")

    assert reaches(order, OrderStatus.SUCCESS)
    assert sim_orders(order).count() == 1
    assert ledger_check().ok


@pytest.fixture
def worker_reaches_the_simulators(worker_env, monkeypatch, request):
    """`celery_worker_process` (tests/conftest.py), started with the simulators' URLs."""
    for name, value in worker_env.items():
        monkeypatch.setenv(name, value)
    return request.getfixturevalue("celery_worker_process")


def test_a_pending_order_past_its_deadline_goes_to_review_and_a_later_answer_settles_it(
    pricing, buyer, settings, worker_reaches_the_simulators, through_the_broker
):
    settings.SIMULATOR_PENDING_SECONDS = 3600  # Digiflazz says Pending for an hour
    start = balance_of(buyer)
    order = buy(
        make_product(DIGIFLAZZ, sku=XLD10),
        user=buyer,
        data={"phone": DIGIFLAZZ_TEST_PENDING_SUCCESS},
    )
    assert wait_until(lambda: fresh(order).provider_status == "PENDING")
    # The deadline has come (the worker's clock does not travel: the order's times move).
    placed = timezone.now() - timedelta(minutes=16)
    Order.objects.filter(pk=order.pk).update(
        first_requested_at=placed, deadline_at=placed + timedelta(minutes=15)
    )
    make_due(order)
    app.send_task("orders.tasks.orders_poll_due")

    assert reaches(order, OrderStatus.NEEDS_REVIEW)  # asked at the deadline: still Pending
    order = fresh(order)
    assert order.waiting_on_provider
    assert order.next_poll_at == placed + timedelta(minutes=25)  # the slow schedule
    assert refunds(order) == 0

    # Digiflazz finishes; its callback is lost, so only the slow poll can tell.
    sim_orders(order).update(
        resolve_at=timezone.now() - timedelta(seconds=1), callback_url="http://127.0.0.1:9/x"
    )
    make_due(order)
    app.send_task("orders.tasks.orders_poll_due")

    assert reaches(order, OrderStatus.SUCCESS)
    order = fresh(order)
    assert order.vouchers.get().serial == "1234567890"  # Digiflazz's test serial
    assert refunds(order) == 0
    assert balance_of(buyer) == start - order.price
    assert ledger_check().ok
