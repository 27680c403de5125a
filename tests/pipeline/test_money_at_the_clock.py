"""Issue 16, "Money at the clock": never refund what a provider may still deliver.

Each numbered case of the issue, reproduced against the simulators with a travelling clock:
1. Digiflazz "Pending" was refunded at 15 minutes (no last status call; a Pending answer at
   the deadline refunded too) and a later "Sukses" reached a wallet already credited;
2. FoxReload paid orders were refunded at 10 minutes while FoxReload still said processing
   (it sends no callbacks: a later `completed` gave the player the goods and the refund);
3. a FoxReload create answered 429, 5xx or a timeout stranded the order (no FoxReload id,
   so polls could not find it) for about 75 minutes.
Then the rest of the rule: the hard stop, a Digiflazz ref_id too old to re-post, orders in
review for other reasons never polled, and staff actions on an order waiting in review.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from ops.services import (
    ops_order_check_status,
    ops_order_resolve_refund,
    ops_order_retry_placement,
)
from orders.models import Order, OrderStatus, PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_mark_paid
from providers.digiflazz.adapter import DigiflazzAdapter
from providers.foxreload import simulator as foxreload_simulator
from providers.models import ProviderCall, SimulatedOrder
from providers.simulators import Scenario, scenario_for, simulators_resolve_due
from tests.orders.fixtures import balance_of, make_user
from tests.pipeline.support import (
    DIGIFLAZZ,
    DIGIFLAZZ_TEST_PENDING_FAILURE,
    DIGIFLAZZ_TEST_PENDING_SUCCESS,
    FOXRELOAD,
    HUBBLE,
    XLD10,
    buy,
    calls,
    customer_data,
    fresh,
    make_product,
    move_to,
    poll_cycle,
    refunds,
    sim_orders,
    staff_notifications,
    status_checks,
)
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db(transaction=True)

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def poll_while(order: Order, clock, status: str, *, limit: int = 100) -> Order:
    """Move the clock to each next poll and run a beat while the order is in `status`."""
    for _ in range(limit):
        order = fresh(order)
        if order.status != status or order.next_poll_at is None:
            return order
        move_to(clock, order.next_poll_at)
        poll_cycle()
    raise AssertionError(f"{order.code} still {status} after {limit} beats")


def review_notices(order: Order) -> int:
    return staff_notifications(title__contains=f"{order.code} needs review").count()


def digiflazz_pending(buyer, *, succeed: bool) -> Order:
    """Digiflazz's documented test numbers: Pending, then Sukses or Gagal (by callback)."""
    phone = DIGIFLAZZ_TEST_PENDING_SUCCESS if succeed else DIGIFLAZZ_TEST_PENDING_FAILURE
    return buy(make_product(DIGIFLAZZ, sku=XLD10), user=buyer, data={"phone": phone})


# --- 1. Digiflazz: Pending is not final -----------------------------------------------------


@pytest.mark.parametrize("succeed", [True, False])
@pytest.mark.parametrize("by_callback", [True, False])
def test_1_digiflazz_pending_for_hours_is_asked_at_the_deadline_kept_and_settled_later(
    sims, pricing, buyer, clock, settings, succeed, by_callback
):
    settings.SIMULATOR_PENDING_SECONDS = 3 * 3600  # Digiflazz says Pending for 3 hours
    start = balance_of(buyer)
    order = digiflazz_pending(buyer, succeed=succeed)
    deadline = order.deadline_at

    order = poll_while(order, clock, OrderStatus.PROCESSING)

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.waiting_on_provider
    assert refunds(order) == 0
    assert balance_of(buyer) == start - order.price
    # a last status call at the deadline: the same ref_id re-posted, answered Pending
    assert calls(order, {"transaction"}).filter(created_at__gte=deadline).count() == 1
    assert order.provider_status == "PENDING"
    assert "Still pending at digiflazz after 15 minutes" in order.events.last().message
    assert review_notices(order) == 1
    first = order.first_requested_at
    assert order.next_poll_at == first + 25 * MINUTE  # every 10 minutes from here

    checks = status_checks(order)
    for _ in range(3):  # the slow schedule keeps asking; nobody refunds, nobody re-told
        move_to(clock, fresh(order).next_poll_at)
        poll_cycle()
    order = fresh(order)
    assert status_checks(order) == checks + 3
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert review_notices(order) == 1
    assert refunds(order) == 0

    move_to(clock, first + 3 * HOUR)
    if by_callback:
        assert simulators_resolve_due() == 1  # Digiflazz's signed callback, hours later
    else:
        sim_orders(order).update(callback_url="http://127.0.0.1:9/nowhere")
        simulators_resolve_due()  # the callback is lost: only the slow poll can tell
        assert fresh(order).status == OrderStatus.NEEDS_REVIEW
        move_to(clock, fresh(order).next_poll_at)
        poll_cycle()

    order = fresh(order)
    if succeed:
        assert order.status == OrderStatus.SUCCESS
        assert order.vouchers.count() == 1
        assert refunds(order) == 0
        assert balance_of(buyer) == start - order.price
    else:
        assert order.status == OrderStatus.REFUNDED
        assert refunds(order) == 1
        assert balance_of(buyer) == start
    assert not order.waiting_on_provider
    assert SimulatedOrder.objects.filter(provider=DIGIFLAZZ).count() == 1
    assert ledger_check().ok


# --- 2. FoxReload: alert at 10 minutes, do not cancel ---------------------------------------


@pytest.mark.parametrize("succeed", [True, False])
def test_2_foxreload_processing_past_10_minutes_alerts_staff_and_a_late_answer_settles_it(
    sims, pricing, buyer, clock, settings, succeed
):
    settings.SIMULATOR_PENDING_SECONDS = 17 * 60  # FoxReload finishes 17 minutes after pay
    start = balance_of(buyer)
    order = buy(make_product(FOXRELOAD), user=buyer, suffix="91" if succeed else "92")
    first = order.first_requested_at

    order = poll_while(order, clock, OrderStatus.PROCESSING)

    assert order.status == OrderStatus.NEEDS_REVIEW  # staff alerted at 10 minutes
    assert order.review_at >= first + 10 * MINUTE
    assert "Still pending at foxreload after 10 minutes" in order.events.last().message
    assert review_notices(order) == 1
    assert refunds(order) == 0
    assert sim_orders(order).get().status == "processing"  # nothing cancelled there
    assert order.next_poll_at == first + 15 * MINUTE  # every 5 minutes: no callbacks

    order = poll_while(order, clock, OrderStatus.NEEDS_REVIEW, limit=5)

    assert order.review_at < first + 11 * MINUTE
    if succeed:
        assert order.status == OrderStatus.SUCCESS
        assert order.vouchers.count() == 1  # the goods, and no refund
        assert refunds(order) == 0
        assert balance_of(buyer) == start - order.price
    else:
        assert order.status == OrderStatus.REFUNDED
        assert refunds(order) == 1
        assert balance_of(buyer) == start
    assert timezone.now() < first + 25 * MINUTE
    assert ledger_check().ok


# --- 3. FoxReload: a create with no answer is created again ----------------------------------


@pytest.fixture
def foxreload_create_refused_once(monkeypatch):
    """The FoxReload simulator answers the first create with `scenario` (a 429 or a 500,
    nothing created) and behaves normally afterwards."""

    def arm(scenario: Scenario) -> None:
        answered = []

        def scripted(customer_no: str) -> Scenario:
            if not answered:
                answered.append(customer_no)
                return scenario
            return scenario_for(customer_no)

        monkeypatch.setattr(foxreload_simulator, "scenario_for", scripted)

    return arm


@pytest.mark.parametrize("scenario", [Scenario.RATE_LIMITED, Scenario.SERVER_ERROR])
def test_3_a_foxreload_create_refused_with_429_or_5xx_is_created_again_at_once(
    sims, products, buyer, clock, foxreload_create_refused_once, scenario
):
    foxreload_create_refused_once(scenario)
    start = balance_of(buyer)
    order = buy(products[FOXRELOAD], user=buyer)
    assert order.status == OrderStatus.PROCESSING
    assert order.needs_verification
    assert order.provider_order_id == ""  # nothing to look up by
    assert not SimulatedOrder.objects.filter(provider=FOXRELOAD).exists()

    move_to(clock, order.next_poll_at)  # the verification's back-off: 2 minutes
    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert order.attempts == 2
    assert timezone.now() < order.processing_at + 3 * MINUTE  # not 75 minutes
    placed = SimulatedOrder.objects.get(provider=FOXRELOAD)
    assert placed.external_id == order.provider_order_id
    assert balance_of(buyer) == start - order.price
    assert refunds(order) == 0
    assert ledger_check().ok


def test_3_a_foxreload_create_that_times_out_after_the_order_exists_is_created_again(
    sims, products, buyer, clock, settings
):
    assert settings.PROVIDER_READ_TIMEOUT < settings.SIMULATOR_SLOW_SECONDS
    start = balance_of(buyer)
    order = buy(products[FOXRELOAD], user=buyer, suffix="84")  # the create's reply is lost
    assert order.status == OrderStatus.PROCESSING
    assert order.provider_order_id == ""
    stranded = SimulatedOrder.objects.get(provider=FOXRELOAD)
    assert stranded.status == "active"  # created there, never paid: nothing charged

    move_to(clock, order.next_poll_at)
    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert order.provider_order_id != stranded.external_id
    delivered = SimulatedOrder.objects.get(provider=FOXRELOAD, external_id=order.provider_order_id)
    assert delivered.status == "completed"
    stranded.refresh_from_db()
    assert stranded.status == "active"  # left unpaid: it expires at FoxReload
    assert stranded.state["charged"] == "0"
    creates = ProviderCall.objects.filter(reference=order.code, endpoint="orders.create")
    pays = ProviderCall.objects.filter(reference=order.code, endpoint="orders.pay")
    assert (creates.count(), pays.count()) == (2, 1)  # only /pay charges: paid once
    assert balance_of(buyer) == start - order.price
    assert ledger_check().ok


# --- the hard stop, old references, other reviews, staff ----------------------------------


def test_past_the_hard_stop_polling_stops_staff_are_told_and_nothing_is_refunded(
    sims, pricing, buyer, clock, settings
):
    settings.SIMULATOR_PENDING_SECONDS = 30 * 24 * 3600  # Digiflazz never finishes
    start = balance_of(buyer)
    order = digiflazz_pending(buyer, succeed=True)
    first = order.first_requested_at

    order = poll_while(order, clock, OrderStatus.PROCESSING)
    order = poll_while(order, clock, OrderStatus.NEEDS_REVIEW)  # to the hard stop

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.next_poll_at is None
    assert timezone.now() >= first + 72 * HOUR
    stopped = staff_notifications(title__contains=f"{order.code}: polling stopped")
    assert stopped.count() == 1
    assert refunds(order) == 0
    assert balance_of(buyer) == start - order.price
    checks = status_checks(order)
    # 5 polls and the deadline's; every 10 minutes to 2 hours (25..115); on the hour from
    # 3 to 71 hours; the hard stop at 72 hours
    assert checks == 6 + 10 + 69 + 1 == len(list(DigiflazzAdapter.pending_rule.offsets()))

    move_to(clock, first + 80 * HOUR)
    poll_cycle()
    assert status_checks(order) == checks  # no more calls
    assert stopped.count() == 1


def test_a_digiflazz_ref_id_older_than_85_days_is_never_re_posted(
    sims, pricing, buyer, clock, settings
):
    settings.SIMULATOR_PENDING_SECONDS = 3600
    order = digiflazz_pending(buyer, succeed=True)
    order = poll_while(order, clock, OrderStatus.PROCESSING)
    assert order.status == OrderStatus.NEEDS_REVIEW
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=86))
    posts = calls(order, {"transaction"}).count()

    Order.objects.filter(pk=order.pk).update(next_poll_at=timezone.now())
    poll_cycle()

    order = fresh(order)
    assert calls(order, {"transaction"}).count() == posts  # not re-posted
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.next_poll_at is None
    assert "older than 85 days" in order.events.last().message
    assert staff_notifications(title__contains=f"{order.code}: polling stopped").count() == 1
    assert refunds(order) == 0

    ops_order_retry_placement(order=order, actor=make_user("staff"))  # nor placed again

    order = fresh(order)
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert "Not placed" in order.events.last().message
    assert calls(order, {"transaction"}).count() == posts


def test_orders_in_review_for_other_reasons_are_never_polled(sims, products, buyer, clock):
    order = order_create(
        purchase=Purchase(
            product=products[HUBBLE],
            guest_email="g@example.com",
            customer_data=customer_data(HUBBLE, "91"),
            payment_method=PaymentMethod.GATEWAY,
        )
    )
    short = order_mark_paid(order=order, amount=order.price - 1)  # a wrong amount
    assert short.status == OrderStatus.NEEDS_REVIEW
    assert not short.waiting_on_provider
    Order.objects.filter(pk=short.pk).update(next_poll_at=timezone.now() - MINUTE)

    poll_cycle()

    assert calls(short).count() == 0
    assert fresh(short).status == OrderStatus.NEEDS_REVIEW


def test_staff_act_on_an_order_waiting_in_review(sims, pricing, buyer, clock, settings):
    settings.SIMULATOR_PENDING_SECONDS = 3 * 3600
    staff = make_user("staff")
    start = balance_of(buyer)
    order = poll_while(digiflazz_pending(buyer, succeed=True), clock, OrderStatus.PROCESSING)
    assert order.waits_on_provider
    checks = status_checks(order)

    assert ops_order_check_status(order=order, actor=staff)  # "check status now"
    poll_cycle()  # (eager: the claimed poll runs when the beat finds it due)
    assert status_checks(order) == checks + 1
    assert fresh(order).status == OrderStatus.NEEDS_REVIEW

    order = ops_order_resolve_refund(order=fresh(order), actor=staff, reason="buyer asked")

    assert order.status == OrderStatus.REFUNDED
    assert not order.waiting_on_provider
    assert balance_of(buyer) == start
    move_to(clock, order.first_requested_at + 2 * HOUR)
    Order.objects.filter(pk=order.pk).update(next_poll_at=timezone.now() - MINUTE)
    poll_cycle()
    assert status_checks(order) == checks + 1  # a person's now: never polled again
    assert ledger_check().ok


def test_a_customer_number_ending_in_84_means_nothing_special_outside_foxreload(
    sims, products, buyer
):
    order = buy(products[DIGIFLAZZ], user=buyer, data=customer_data(DIGIFLAZZ, "84"))
    assert fresh(order).status == OrderStatus.SUCCESS
