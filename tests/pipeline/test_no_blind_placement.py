"""An order whose earlier placement may have reached the provider is looked up before it is
placed again, and the deadline never refunds: a staff retry, an answer that comes only
after the deadline, a Hubble SUCCESS still without its vouchers, a provider that can no
longer be asked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ops.services import ops_order_retry_placement
from orders import pipeline
from orders.models import OrderStatus
from providers.base import NotConfigured, ProviderResult, ProviderStatus, UpstreamAdapter
from providers.hubble.adapter import order_result
from tests.orders.fixtures import balance_of, make_user
from tests.pipeline.support import HUBBLE, buy, fresh, move_to, poll_cycle, refunds

pytestmark = pytest.mark.django_db(transaction=True)


class ScriptedProvider(UpstreamAdapter):
    """Answers placements and lookups as the test says, and counts them."""

    code = HUBBLE

    def __init__(self, *, placed=ProviderStatus.UNKNOWN, checked=ProviderStatus.UNKNOWN):
        self.placed_answer, self.checked_answer = placed, checked
        self.placements, self.lookups = [], []

    def fetch_catalog(self):
        return []

    def get_balance(self):
        raise NotImplementedError

    def place_order(self, request):
        self.placements.append(request.reference)
        return ProviderResult(self.placed_answer, provider_order_id="P-1", message="placed")

    def check_order(self, request):
        self.lookups.append(request.reference)
        return ProviderResult(self.checked_answer, provider_order_id="P-1", message="looked up")


@pytest.fixture
def provider(monkeypatch) -> ScriptedProvider:
    scripted = ScriptedProvider()
    monkeypatch.setattr(pipeline, "get_adapter", lambda code: scripted)
    return scripted


def poll_until_settled(order, clock, *, rounds: int = 80):
    for _ in range(rounds):
        order = fresh(order)
        if order.status != OrderStatus.PROCESSING:
            return order
        move_to(clock, max(order.next_poll_at, timezone.now()))
        poll_cycle()
    return fresh(order)


def order_in_review(products, buyer, clock, provider):
    """An order whose placement timed out and stayed unknown until a person got it."""
    order = poll_until_settled(buy(products[HUBBLE], user=buyer), clock)
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert provider.placements == [order.code]
    return order


def test_a_staff_retry_looks_the_order_up_and_does_not_place_it_twice(
    products, buyer, clock, provider
):
    order = order_in_review(products, buyer, clock, provider)
    provider.checked_answer = ProviderStatus.PENDING  # the first placement did arrive
    lookups_before = len(provider.lookups)

    ops_order_retry_placement(order=order, actor=make_user("staff"))

    order = fresh(order)
    assert provider.placements == [order.code]  # not placed a second time
    assert len(provider.lookups) == lookups_before + 1
    assert order.status == OrderStatus.PROCESSING
    assert (order.needs_verification, order.poll_count) == (False, 1)  # the lookup, afresh
    assert order.deadline_at > timezone.now() + timedelta(minutes=10)  # a new pending window
    assert refunds(order) == 0


def test_a_staff_retry_places_again_only_when_the_provider_never_got_it(
    products, buyer, clock, provider
):
    order = order_in_review(products, buyer, clock, provider)
    provider.checked_answer = ProviderStatus.NOT_FOUND
    provider.placed_answer = ProviderStatus.PENDING

    ops_order_retry_placement(order=order, actor=make_user("staff"))

    order = fresh(order)
    assert provider.placements == [order.code, order.code]  # the same reference again
    assert order.status == OrderStatus.PROCESSING
    assert order.deadline_at > timezone.now()
    assert refunds(order) == 0


def test_a_pending_answer_that_comes_only_after_the_deadline_goes_to_a_person_not_a_refund(
    products, buyer, clock, provider
):
    start = balance_of(buyer)
    order = buy(products[HUBBLE], user=buyer)  # placement outcome unknown
    move_to(clock, fresh(order).deadline_at + timedelta(minutes=5))
    provider.checked_answer = ProviderStatus.PENDING  # e.g. a Digiflazz lookup created it

    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.waiting_on_provider
    assert refunds(order) == 0
    provider.checked_answer = ProviderStatus.SUCCESS  # the slow schedule's next call
    move_to(clock, order.next_poll_at)
    poll_cycle()
    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert balance_of(buyer) == start - order.price
    assert refunds(order) == 0


def test_a_hubble_success_without_vouchers_is_never_refunded(products, buyer, clock, monkeypatch):
    state = {"id": "h-1", "status": "SUCCESS", "vouchers": []}  # charged, codes not ready

    class Hubble(ScriptedProvider):
        def place_order(self, request):
            return order_result(dict(state))

        def check_order(self, request):
            return order_result(dict(state))

    monkeypatch.setattr(pipeline, "get_adapter", lambda code: Hubble())
    order = buy(products[HUBBLE], user=buyer)

    order = poll_until_settled(order, clock)

    assert order.status == OrderStatus.NEEDS_REVIEW  # a person, never a refund
    assert timezone.now() >= order.deadline_at
    assert refunds(order) == 0


def test_an_order_whose_provider_cannot_be_asked_goes_to_a_person_at_once(
    products, buyer, clock, provider, monkeypatch
):
    provider.placed_answer = ProviderStatus.PENDING
    order = buy(products[HUBBLE], user=buyer)
    assert fresh(order).status == OrderStatus.PROCESSING

    def not_configured(code):
        raise NotConfigured(f"{code}: HUBBLE_CLIENT_SECRET is not set")

    monkeypatch.setattr(pipeline, "get_adapter", not_configured)
    move_to(clock, fresh(order).next_poll_at)
    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert "HUBBLE_CLIENT_SECRET is not set" in order.events.last().message
    assert refunds(order) == 0


def test_a_callback_that_settles_the_order_during_a_poll_is_not_undone_by_the_poll(
    products, buyer, clock, provider, monkeypatch
):
    from orders.services.provider_updates import order_apply_provider_update
    from providers.base import VoucherData

    order = buy(products[HUBBLE], user=buyer)  # outcome unknown
    move_to(clock, fresh(order).deadline_at)
    check = provider.check_order

    def delivered_meanwhile(request):
        delivered = ProviderResult(ProviderStatus.SUCCESS, vouchers=[VoucherData(code="C-1")])
        order_apply_provider_update(order=fresh(order), result=delivered)  # the callback
        return check(request)  # the poll's own answer: still unknown

    monkeypatch.setattr(provider, "check_order", delivered_meanwhile)

    poll_cycle()

    order = fresh(order)
    assert order.status == OrderStatus.SUCCESS
    assert not order.events.filter(to_status=OrderStatus.NEEDS_REVIEW).exists()


def test_a_staff_retry_of_an_order_with_no_id_to_look_up_places_it_anew(
    products, buyer, clock, monkeypatch
):
    """FoxReload finds orders only by its own id, kept before it is paid: an order without
    one was never paid there, and is placed anew rather than looked up for ever."""

    class NoReferenceLookup(ScriptedProvider):
        looks_up_by_reference = False

        def place_order(self, request):
            self.placements.append(request.reference)
            return ProviderResult(self.placed_answer, message="create timed out")

        def check_order(self, request):
            self.lookups.append(request.reference)
            return ProviderResult(ProviderStatus.UNKNOWN, message="no order id")

    provider = NoReferenceLookup()
    monkeypatch.setattr(pipeline, "get_adapter", lambda code: provider)
    order = poll_until_settled(buy(products[HUBBLE], user=buyer), clock)
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.provider_order_id == ""
    provider.placed_answer = ProviderStatus.PENDING
    lookups_before = len(provider.lookups)

    ops_order_retry_placement(order=order, actor=make_user("staff"))

    order = fresh(order)
    assert provider.placements == [order.code, order.code]
    assert len(provider.lookups) == lookups_before
    assert order.status == OrderStatus.PROCESSING
