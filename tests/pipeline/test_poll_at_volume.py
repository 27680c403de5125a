"""The poller at outage scale: the bulk claim under concurrency, each provider's claim budget,
and the fan-out's rate and concurrency limits (providers/call_limits.py)."""

import secrets
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from orders import pipeline, tasks
from orders.models import Order, OrderStatus
from providers import call_limits
from providers.call_limits import ProviderBusy, provider_call_permit
from providers.hubble.adapter import HubbleAdapter
from tests.pipeline.support import HUBBLE, buy, fresh, status_checks
from tests.pipeline.test_idempotency import in_thread

pytestmark = pytest.mark.django_db(transaction=True)


def due_copies(order: Order, count: int, *, provider_code: str = "") -> list[int]:
    """`count` copies of `order`, processing and due a poll (bulk-created, as an outage
    leaves them); returns their ids."""
    now = timezone.now()
    rows = []
    for n in range(count):
        row = Order(
            **{
                field.attname: getattr(order, field.attname)
                for field in Order._meta.concrete_fields
                if field.attname != "id"
            }
        )
        row.code = f"TRX-COPY-{provider_code}{n:05d}"
        row.access_token = secrets.token_urlsafe(24)
        row.status = OrderStatus.PROCESSING
        row.provider_code = provider_code or order.provider_code
        row.poll_claim = ""
        row.next_poll_at = now - timedelta(seconds=1 + n % 97)
        rows.append(row)
    return [row.pk for row in Order.objects.bulk_create(rows)]


@pytest.fixture
def pending_order(sims, products, buyer, settings):
    settings.SIMULATOR_PENDING_SECONDS = 3600
    order = buy(products[HUBBLE], user=buyer, suffix="91")
    assert order.status == OrderStatus.PROCESSING
    return order


def test_concurrent_claimers_claim_every_due_order_once(pending_order):
    Order.objects.filter(pk=pending_order.pk).update(next_poll_at=timezone.now())
    due = set(due_copies(pending_order, 400))
    barrier = threading.Barrier(4)
    claimed: list[list[pipeline.PollClaim]] = [[] for _ in range(4)]

    def claimer(slot: int) -> None:
        barrier.wait(30)
        while batch := pipeline.orders_claim_due(limit=37):
            claimed[slot].extend(batch)

    for thread in [in_thread(claimer, slot) for slot in range(4)]:
        thread.join(60)

    ids = [c.order_id for batch in claimed for c in batch]
    assert len(ids) == len(set(ids))  # no order claimed twice
    assert set(ids) == due | {pending_order.pk}  # and none lost
    stored = dict(Order.objects.values_list("pk", "poll_claim"))
    assert all(stored[c.order_id] == c.claim for batch in claimed for c in batch)
    assert all(len(c.claim) == 32 for batch in claimed for c in batch)
    assert not Order.objects.filter(next_poll_at__lte=timezone.now()).exists()  # all leased


def test_the_claim_takes_the_oldest_due_of_one_provider(pending_order):
    hubble = due_copies(pending_order, 5)
    others = due_copies(pending_order, 5, provider_code="digiflazz")
    Order.objects.filter(pk=pending_order.pk).update(next_poll_at=timezone.now() + timedelta(1))
    oldest_first = list(
        Order.objects.filter(pk__in=hubble).order_by("next_poll_at").values_list("pk", flat=True)
    )

    claimed = pipeline.orders_claim_due(limit=3, provider_code=HUBBLE)

    assert [c.order_id for c in claimed] == oldest_first[:3]
    assert {c.provider_code for c in claimed} == {HUBBLE}
    rest = pipeline.orders_claim_due(limit=100, other_than=[HUBBLE])
    assert sorted(c.order_id for c in rest) == sorted(others)


def test_a_beat_claims_each_provider_up_to_what_its_rate_allows(pending_order, settings):
    settings.PROVIDER_STATUS_LIMITS = {HUBBLE: "2:4"}  # 2 calls/s: 30 per 15 s beat
    due_copies(pending_order, 50)
    due_copies(pending_order, 7, provider_code="retired")  # no adapter: a person settles it

    claims = pipeline.orders_claim_due_by_provider()

    assert pipeline.poll_budget(HUBBLE) == 30
    assert len(claims[HUBBLE]) == 30
    assert len(claims["retired"]) == 7
    assert Order.objects.filter(provider_code=HUBBLE, poll_claim="").count() == 51 - 30


@pytest.fixture
def eager_off():
    """Let orders_poll_claimed use its threads (an eager Celery polls in one thread)."""
    conf = tasks.order_poll_claimed.app.conf
    conf.task_always_eager = False
    yield
    conf.task_always_eager = True


def test_claimed_polls_run_in_threads_within_the_providers_concurrency(
    pending_order, settings, monkeypatch, eager_off
):
    settings.PROVIDER_STATUS_LIMITS = {HUBBLE: "1000:3"}
    settings.POLL_THREADS = 8
    orders = [pending_order.pk, *due_copies(pending_order, 11)]
    Order.objects.filter(pk__in=orders).update(next_poll_at=timezone.now())
    in_flight, most = [0], [0]
    lock = threading.Lock()
    check_order = HubbleAdapter.check_order

    def counted(self, request):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            return check_order(self, request)
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(HubbleAdapter, "check_order", counted)
    claims = pipeline.orders_claim_due(limit=100, provider_code=HUBBLE)

    polled = pipeline.orders_poll_claimed(
        provider_code=HUBBLE, claims=[(c.order_id, c.claim) for c in claims]
    )

    assert polled == 12
    assert 1 <= most[0] <= 3  # never more status calls in flight than the provider allows
    polled_orders = Order.objects.filter(pk__in=orders)
    assert sorted(polled_orders.values_list("poll_count", flat=True)) == [1] * 12
    assert set(polled_orders.values_list("poll_claim", flat=True)) == {""}
    assert set(polled_orders.values_list("status", flat=True)) == {OrderStatus.PROCESSING}


def test_an_order_without_a_permit_goes_back_to_the_next_beat(pending_order, settings, monkeypatch):
    settings.PROVIDER_STATUS_LIMITS = {HUBBLE: "1000:1"}
    monkeypatch.setattr(call_limits, "MAX_WAIT_SECONDS", 0.05)
    Order.objects.filter(pk=pending_order.pk).update(next_poll_at=timezone.now())
    [claimed] = pipeline.orders_claim_due(limit=10, provider_code=HUBBLE)

    with provider_call_permit(HUBBLE):  # another worker holds Hubble's only permit
        polled = pipeline.orders_poll_claimed(
            provider_code=HUBBLE, claims=[(claimed.order_id, claimed.claim)]
        )

    order = fresh(pending_order)
    assert polled == 0
    assert status_checks(order) == 0
    assert order.poll_count == 0
    assert order.poll_claim == ""
    assert order.next_poll_at <= timezone.now()  # due: the next beat claims it again
    [again] = pipeline.orders_claim_due(limit=10, provider_code=HUBBLE)
    assert again.order_id == order.pk


@pytest.mark.parametrize("redis_url", ["shared", ""], ids=["redis", "in-process"])
def test_the_concurrency_limit_holds_across_threads(settings, redis_url):
    if not redis_url:
        settings.REDIS_URL = ""
    settings.PROVIDER_STATUS_LIMITS = {"limited": "1000:2"}
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with provider_call_permit("limited"):
            held.set()
            release.wait(30)

    holders = [threading.Thread(target=holder) for _ in range(2)]
    for thread in holders:
        held.clear()
        thread.start()
        assert held.wait(30)
    try:
        with pytest.raises(ProviderBusy), provider_call_permit("limited", max_wait=0.05):
            pass
    finally:
        release.set()
        for thread in holders:
            thread.join(30)
    with provider_call_permit("limited", max_wait=5):  # the permits came back
        pass


@pytest.mark.parametrize("redis_url", ["shared", ""], ids=["redis", "in-process"])
def test_the_rate_limit_refuses_a_call_before_its_slot(settings, redis_url):
    if not redis_url:
        settings.REDIS_URL = ""
    code = f"slow-{secrets.token_hex(4)}"
    settings.PROVIDER_STATUS_LIMITS = {code: "0.01:5"}  # one call per 100 s

    with provider_call_permit(code, max_wait=0):
        pass
    with pytest.raises(ProviderBusy), provider_call_permit(code, max_wait=1):
        pass
    with provider_call_permit("another-provider", max_wait=0):  # each provider its own
        pass
