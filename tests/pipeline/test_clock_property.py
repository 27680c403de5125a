"""The money rule as a property, for every order provider: whatever the provider answers
(success, failure, pending, unknown, a timeout, "never got it"), whenever callbacks come
(late, twice) and however the clock jumps,
- no order is refunded in a step where its provider's word was not a final failure;
- a paid order is only ever paid, processing, success, refunded or needs_review, and once
  the clock has run past the hard stop it is exactly one of success, refunded or
  needs_review (with polling over);
- the buyer's balance is the price lower, or back where it was when refunded, and the
  ledger is clean (`ledger_check`) after every step.

The provider is scripted through its real adapter's reply mapping and pending rule, so the
pipeline runs as in production (`orders_poll_due`, `order_poll`, `order_apply_callback`).
An answer kind is one entry of ANSWERS (Hubble's REVERSED is one, for Hubble alone).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import requests
import time_machine
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from orders import pipeline
from orders.models import Order, OrderStatus
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, UpstreamAdapter
from providers.digiflazz.adapter import result_from_transaction
from providers.foxreload.adapter import order_result as foxreload_order
from providers.hubble.adapter import order_result as hubble_order
from providers.registry import UPSTREAM_ADAPTERS
from shop.models import PriceTier
from tests.catalog.factories import PricingRuleFactory
from tests.orders.fixtures import balance_of, fund, make_user
from tests.pipeline.support import DIGIFLAZZ, FOXRELOAD, HUBBLE, customer_data, make_product
from wallets.models import Transfer
from wallets.selectors import ledger_check

START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
ANY = "*"


@dataclass(frozen=True)
class Answer:
    """One kind of provider answer: its reply per provider (ANY for all), and whether it is
    the provider's final word that the order failed (the only answer that may refund)."""

    replies: dict[str, Callable[[], ProviderResult]]
    final_failure: bool = False

    def reply(self, code: str) -> ProviderResult:
        return self.replies.get(code, self.replies.get(ANY))()


def digiflazz(data: dict) -> Callable[[], ProviderResult]:
    return lambda: result_from_transaction({"ref_id": "R", "trx_id": "T-1", **data})


def hubble(body: dict) -> Callable[[], ProviderResult]:
    return lambda: hubble_order({"id": "h-1", **body})


def foxreload(body: dict) -> Callable[[], ProviderResult]:
    return lambda: foxreload_order({"id": "f-1", "items": [], **body})


def timed_out() -> ProviderResult:
    raise requests.Timeout("read timed out")  # what the pipeline gets from a dead provider


ANSWERS: dict[str, Answer] = {
    "success": Answer(
        {
            DIGIFLAZZ: digiflazz({"status": "Sukses", "rc": "00", "sn": "SN-1"}),
            HUBBLE: hubble({"status": "SUCCESS", "vouchers": [{"id": "v", "cardNumber": "C"}]}),
            FOXRELOAD: foxreload({"status": "completed", "items": [{"externalData": ["F-1"]}]}),
        }
    ),
    "failure": Answer(
        {
            DIGIFLAZZ: digiflazz({"status": "Gagal", "rc": "02"}),
            HUBBLE: hubble({"status": "FAILED", "failureReason": "brand said no"}),
            FOXRELOAD: foxreload({"status": "failed", "items": [{"error": "supplier"}]}),
        },
        final_failure=True,
    ),
    "pending": Answer(
        {
            DIGIFLAZZ: digiflazz({"status": "Pending", "rc": "03"}),
            HUBBLE: hubble({"status": "PROCESSING"}),
            FOXRELOAD: foxreload({"status": "processing"}),
        }
    ),
    "unknown": Answer({ANY: lambda: ProviderResult(ProviderStatus.UNKNOWN, message="HTTP 502")}),
    "timeout": Answer({ANY: timed_out}),
    # "I never got this order": nothing can be delivered (a lookup's 404, FoxReload without id)
    "not_found": Answer(
        {ANY: lambda: ProviderResult(ProviderStatus.NOT_FOUND, message="no such order")},
        final_failure=True,
    ),
    # Hubble calls off what it delivered: a person decides, the clock never refunds it.
    "reversed": Answer(
        {HUBBLE: hubble({"status": "REVERSED", "vouchers": [{"id": "v", "cardNumber": "C"}]})}
    ),
}


def answers_of(code: str) -> list[str]:
    """The answers `code`'s provider can give (Hubble alone reverses)."""
    return sorted(kind for kind, answer in ANSWERS.items() if {code, ANY} & set(answer.replies))


# What a provider's callback can carry (Digiflazz's body is the transaction; Hubble's makes
# the shop fetch the order, which may answer anything; FoxReload sends none).
CALLBACK_ANSWERS = {
    DIGIFLAZZ: ["success", "failure", "pending"],
    HUBBLE: list(ANSWERS),
    FOXRELOAD: [],
}
CLOCK_JUMPS = [
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=7),
    timedelta(minutes=16),
    timedelta(hours=1),
    timedelta(hours=9),
    timedelta(hours=40),
]
SETTLED = {OrderStatus.SUCCESS, OrderStatus.REFUNDED, OrderStatus.NEEDS_REVIEW}
EVER = SETTLED | {OrderStatus.PAID, OrderStatus.PROCESSING}


class ScriptedProvider(UpstreamAdapter):
    """The real adapter's pending rule and lookup ability; answers as the step says."""

    def __init__(self, code: str):
        real = import_string(UPSTREAM_ADAPTERS[code])
        self.code = code
        self.pending_rule = real.pending_rule
        self.looks_up_by_reference = real.looks_up_by_reference
        self.answer = "pending"
        self.given: list[str] = []  # the answer kinds given in the current step

    def place_order(self, request):
        return self._reply()

    def check_order(self, request):
        return self._reply()

    def _reply(self) -> ProviderResult:
        self.given.append(self.answer)
        return ANSWERS[self.answer].reply(self.code)

    def fetch_catalog(self):
        return []

    def get_balance(self):
        raise NotImplementedError


class MoneyAtTheClock(RuleBasedStateMachine):
    code: str  # set per provider

    def __init__(self):
        super().__init__()
        self.traveller = time_machine.travel(START, tick=False)
        self.clock = self.traveller.start()
        self.provider = ScriptedProvider(self.code)
        self.patch = mock.patch.object(pipeline, "get_adapter", return_value=self.provider)
        self.patch.start()
        self.buyer = make_user(f"buyer-{uuid.uuid4().hex[:12]}")
        fund(self.buyer, Decimal("1000000"))
        self.start_balance = balance_of(self.buyer)
        order = order_create(
            purchase=Purchase(
                product=PRODUCTS[self.code],
                user=self.buyer,
                customer_data=customer_data(self.code),
                payment_method="balance",
            )
        )
        self.order = order_pay_with_balance(order=order)  # placement: the `place` rule
        self.last_callback: str | None = None

    def teardown(self):
        try:
            self._past_the_hard_stop()
        finally:
            self.patch.stop()
            self.traveller.stop()

    # --- what happens ---------------------------------------------------------------------

    @rule(data=st.data())
    def place(self, data):
        answer = data.draw(st.sampled_from(answers_of(self.code)))
        self._step(answer, lambda: pipeline.order_place(order_id=self.order.pk))

    @rule(data=st.data())
    def beat(self, data):
        """One run of orders_poll_due; the poll of this order (if due) gets `answer`."""
        answer = data.draw(st.sampled_from(answers_of(self.code)))
        self._step(answer, self._poll_due)

    @rule(jump=st.sampled_from(CLOCK_JUMPS))
    def clock_moves(self, jump):
        self.clock.shift(jump)

    @rule()
    def reconcile(self):
        def run():
            if self.order.pk in pipeline.orders_reconcile()["unplaced"]:
                pipeline.order_place(order_id=self.order.pk)

        self._step("pending", run)

    @precondition(lambda self: CALLBACK_ANSWERS[self.code])
    @rule(data=st.data())
    def callback(self, data):
        answer = data.draw(st.sampled_from(CALLBACK_ANSWERS[self.code]))
        self.last_callback = answer
        self._step(answer, lambda: self._callback(answer))

    @precondition(lambda self: self.last_callback is not None)
    @rule()
    def duplicate_callback(self):
        self._step(self.last_callback, lambda: self._callback(self.last_callback))

    # --- what must hold -------------------------------------------------------------------

    @invariant()
    def the_money_is_where_the_order_says(self):
        order = self.fresh()
        assert order.status in EVER, order.status
        refunded = refunds(order)
        assert refunded <= 1
        assert balance_of(self.buyer) == self.start_balance - order.price * (1 - refunded)
        if order.status == OrderStatus.SUCCESS:
            assert refunded == 0
            assert order.vouchers.exists()
        if order.status == OrderStatus.REFUNDED:
            assert refunded == 1
        if order.status != OrderStatus.NEEDS_REVIEW:
            assert not order.waiting_on_provider

    @invariant()
    def the_ledger_is_clean(self):
        report = ledger_check()
        assert report.ok, report.problems

    # --- helpers --------------------------------------------------------------------------

    def fresh(self) -> Order:
        return Order.objects.get(pk=self.order.pk)

    def _step(self, answer: str, action: Callable[[], object]) -> None:
        """Run `action` with the provider answering `answer`; a refund in this step needs a
        final failure among the answers it actually gave (or the callback's)."""
        before = refunds(self.order)
        self.provider.answer = answer
        self.provider.given = []
        action()
        if refunds(self.order) > before:
            said = set(self.provider.given)
            assert any(ANSWERS[kind].final_failure for kind in said), (
                f"refunded after {sorted(said)}"
            )

    def _poll_due(self) -> None:
        for order_id, claim in pipeline.orders_poll_due():
            if order_id == self.order.pk:  # other examples' orders: their messages are lost
                pipeline.order_poll(order_id=order_id, claim=claim)

    def _callback(self, answer: str) -> None:
        order = self.fresh()
        if self.code == DIGIFLAZZ:  # the callback carries the transaction
            self.provider.given.append(answer)
            pipeline.order_apply_callback(order=order, result=ANSWERS[answer].reply(self.code))
        elif answer == "reversed" and order.vouchers.exists():
            # Hubble's REVERSED for a delivered order is applied from the callback itself
            self.provider.given.append(answer)
            with transaction.atomic():
                order_apply_provider_update(order=order, result=ANSWERS[answer].reply(self.code))
        elif order.waits_on_provider:  # Hubble's callback: the shop fetches the order
            pipeline.order_poll(order_id=order.pk)
        elif order.status in (OrderStatus.FAILED, OrderStatus.REFUNDED):
            pipeline.order_recheck(order_id=order.pk)

    def _past_the_hard_stop(self) -> None:
        """Whatever happened, the clock runs on with the provider never finishing."""
        if self.fresh().status == OrderStatus.PAID:
            self._step("pending", lambda: pipeline.order_place(order_id=self.order.pk))
        self.clock.shift(timezone.now() - START + timedelta(hours=100))
        self._step("pending", pipeline.orders_reconcile)
        self._step("pending", self._poll_due)
        order = self.fresh()
        assert order.status in SETTLED, order.status
        if order.status == OrderStatus.NEEDS_REVIEW:
            assert order.next_poll_at is None  # no poll after the hard stop
        self.the_money_is_where_the_order_says()
        self.the_ledger_is_clean()


PRODUCTS: dict = {}


def refunds(order: Order) -> int:
    return Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund").count()


@pytest.mark.django_db
@pytest.mark.parametrize("code", [DIGIFLAZZ, FOXRELOAD, HUBBLE])
def test_no_clock_and_no_answer_but_a_final_failure_refunds(code):
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    PRODUCTS[code] = make_product(code)
    machine = type(f"MoneyAtTheClock_{code}", (MoneyAtTheClock,), {"code": code})
    machine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=20,
        derandomize=True,  # the same runs every time
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine.TestCase().runTest()
