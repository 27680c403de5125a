"""Failover between the routes of a shop item (orders/services/attempts.py): only on a
final failure, never twice for one attempt, at most ROUTING_MAX_ATTEMPTS placements, answers
matched to the attempt they are about, and the ledger booking the delivering route's cost.

The per-provider tests are driven by every answer of every provider as its adapter reads it
(providers/status_tables.py), not by a copy of the tables."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import InputSchema, Product
from orders.models import (
    AttemptOutcome,
    Order,
    OrderAttempt,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
)
from orders.purchase import Purchase
from orders.services.attempts import order_attempt_current
from orders.services.creation import order_create
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from orders.services.transitions import order_transition
from providers.base import ProviderResult, ProviderStatus, VoucherData
from providers.defaults import provider_ensure
from providers.status_tables import provider_answer_rows
from shop.models import PriceTier
from tests.catalog.factories import BrandFactory, PricingRuleFactory, ProductFactory
from tests.orders.fixtures import balance_of, fund, make_user
from wallets.models import SystemAccount, Transfer, TransferReason
from wallets.selectors import ledger_check, system_account_balance
from webhooks.callbacks.digiflazz import apply_order_callback
from webhooks.services import order_for_provider_callback

pytestmark = pytest.mark.django_db

ROWS = [row for rows in provider_answer_rows().values() for row in rows]
FINAL = [row for row in ROWS if row.fails_over]
NOT_FINAL = [row for row in ROWS if not row.fails_over]


def _id(row) -> str:
    return f"{row.provider}:{row.answer}"


def delivered(serial: str = "SN-1") -> ProviderResult:
    return ProviderResult(
        status=ProviderStatus.SUCCESS,
        vouchers=[VoucherData(serial=serial)],
        message="Delivered",
    )


FAILED = ProviderResult(status=ProviderStatus.FAILED, message="Seller disrupted", rc="62")


def make_routes(first_code: str, *others: tuple[str, Decimal]) -> list:
    """A shop item with a route at `first_code` (cost 10,000) and one per (code, cost)."""
    brand = BrandFactory(input_schema=InputSchema.GAME)
    first = ProductFactory(provider=provider_ensure(first_code), brand=brand, cost=Decimal("10000"))
    provider = first.provider
    provider.exchange_rate = Decimal("1")
    provider.save(update_fields=["exchange_rate"])
    routes = [first]
    for code, cost in others:
        other = provider_ensure(code)
        other.exchange_rate = Decimal("1")
        other.save(update_fields=["exchange_rate"])
        routes.append(
            ProductFactory(provider=other, brand=brand, shop_item=first.shop_item, cost=cost)
        )
    return routes


@pytest.fixture
def pricing(db):
    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"))
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("2"))


@pytest.fixture
def buyer(db):
    user = make_user("failover-buyer")
    fund(user, Decimal("10000000"))
    return user


def placed(product, buyer) -> Order:
    """A paid order of `product`'s shop item, placed at `product` (its attempt 1 in flight)
    as `order_place` leaves it before the provider's answer."""
    order = order_create(
        purchase=Purchase(
            product=product,
            user=buyer,
            customer_data={"user_id": "12345678"},
            payment_method=PaymentMethod.BALANCE,
        )
    )
    order = order_pay_with_balance(order=order)
    return place(order)


def place(order: Order) -> Order:
    """What `order_place` does before calling the provider (the call itself is the test's)."""
    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.PAID
    order_attempt_current(order=order)
    return order_transition(order=order, to=OrderStatus.PROCESSING, needs_verification=True)


def other_code(code: str) -> str:
    return "vipreseller" if code != "vipreseller" else "digiflazz"


# --- per provider: every final failure fails over, nothing else ever does ------------------


@pytest.mark.parametrize("row", FINAL, ids=_id)
def test_every_final_failure_of_every_provider_fails_over(row, pricing, buyer):
    first, second = make_routes(row.provider, (other_code(row.provider), Decimal("10100")))
    order = placed(first, buyer)

    order = order_apply_provider_update(order=order, result=row.result, reference=order.code)

    assert order.status == OrderStatus.PAID  # placed again through the normal path
    attempts = list(order.route_attempts.order_by("number"))
    assert [(a.number, a.reference, a.provider_code, a.outcome) for a in attempts] == [
        (1, order.code, row.provider, AttemptOutcome.FAILED),
        (2, f"{order.code}-2", second.provider.code, AttemptOutcome.PLACING),
    ]
    assert (order.product_id, order.provider_code, order.provider_sku, order.cost) == (
        second.pk,
        second.provider.code,
        second.provider_sku,
        Decimal("10100.00"),
    )
    assert (order.provider_order_id, order.provider_rc, order.next_poll_at) == ("", "", None)
    assert not Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund").exists()
    event = order.events.filter(to_status=OrderStatus.PAID).last()
    assert event.message.startswith(f"Failed over from {row.provider} to {second.provider.code}")

    # the same final failure again (a duplicate callback, a poll's answer) fails over once
    order = order_apply_provider_update(order=order, result=row.result, reference=order.code)
    assert order.route_attempts.count() == 2
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize("row", NOT_FINAL, ids=_id)
def test_no_other_answer_of_any_provider_ever_fails_over(row, pricing, buyer):
    first, _second = make_routes(row.provider, (other_code(row.provider), Decimal("10100")))
    order = placed(first, buyer)
    start = balance_of(buyer)

    order = order_apply_provider_update(order=order, result=row.result, reference=order.code)

    assert order.route_attempts.count() == 1
    assert order.provider_code == row.provider
    assert order.status != OrderStatus.PAID
    assert balance_of(buyer) == start  # and nothing was refunded
    if row.status == ProviderStatus.SUCCESS:
        assert order.status == OrderStatus.SUCCESS
    elif row.result.revokes_delivery:
        assert order.status == OrderStatus.NEEDS_REVIEW
    else:
        assert order.status == OrderStatus.PROCESSING


# --- the rule's limits --------------------------------------------------------------------


def test_after_max_attempts_the_order_is_refunded(pricing, buyer, settings):
    settings.ROUTING_MAX_ATTEMPTS = 2
    first, _second, _third = make_routes(
        "digiflazz", ("vipreseller", Decimal("10100")), ("hubble", Decimal("10200"))
    )
    order = placed(first, buyer)
    start = balance_of(buyer)

    order = order_apply_provider_update(order=order, result=FAILED)
    order = place(order)
    order = order_apply_provider_update(order=order, result=FAILED, reference=f"{order.code}-2")

    assert order.status == OrderStatus.REFUNDED
    assert order.route_attempts.count() == 2  # the third route is never tried
    assert list(order.route_attempts.values_list("outcome", flat=True)) == ["failed", "failed"]
    assert balance_of(buyer) == start + order.price
    assert ledger_check().ok


def test_no_failover_to_a_route_dearer_than_the_price_unless_the_item_allows_it(pricing, buyer):
    # The price's floor covers every route usable when the order was priced; a route whose
    # cost rose since (20,000 against the 10,500 paid) is not taken.
    first, dear = make_routes("digiflazz", ("vipreseller", Decimal("10000")))
    order = placed(first, buyer)
    assert order.price == Decimal("10500.00")
    Product.objects.filter(pk=dear.pk).update(cost=Decimal("20000"))
    assert order_apply_provider_update(order=order, result=FAILED).status == OrderStatus.REFUNDED

    item = first.shop_item
    item.allow_below_cost = True
    item.save(update_fields=["allow_below_cost"])
    Product.objects.filter(pk=dear.pk).update(cost=Decimal("10000"))
    order = placed(first, buyer)
    Product.objects.filter(pk=dear.pk).update(cost=Decimal("20000"))
    order = order_apply_provider_update(order=order, result=FAILED)
    assert order.status == OrderStatus.PAID
    assert (order.provider_code, order.cost) == ("vipreseller", Decimal("20000.00"))


def test_an_order_without_a_shop_item_is_refunded_as_before(pricing, buyer):
    first, _second = make_routes("digiflazz", ("vipreseller", Decimal("10100")))
    order = placed(first, buyer)
    Order.objects.filter(pk=order.pk).update(shop_item=None)

    order = order_apply_provider_update(order=Order.objects.get(pk=order.pk), result=FAILED)

    assert order.status == OrderStatus.REFUNDED
    assert order.route_attempts.count() == 1


# --- answers about earlier attempts -------------------------------------------------------


def test_a_late_success_of_attempt_1_after_attempt_2_delivered_goes_to_review(pricing, buyer):
    first, _second = make_routes("digiflazz", ("vipreseller", Decimal("10100")))
    order = placed(first, buyer)
    order = order_apply_provider_update(order=order, result=FAILED)
    order = place(order)
    order = order_apply_provider_update(
        order=order, result=delivered("SN-2"), reference=f"{order.code}-2"
    )
    assert order.status == OrderStatus.SUCCESS

    order = order_apply_provider_update(order=order, result=delivered("SN-1"), reference=order.code)

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert "may be delivered twice" in order.events.last().message
    assert order.route_attempts.filter(outcome=AttemptOutcome.DELIVERED).count() == 1
    assert order.route_attempts.get(number=2).outcome == AttemptOutcome.DELIVERED
    assert list(order.vouchers.values_list("serial", flat=True)) == ["SN-2"]
    # a repeat changes nothing more
    events = order.events.count()
    order_apply_provider_update(order=order, result=delivered("SN-1"), reference=order.code)
    assert order.events.count() == events


def test_a_late_success_of_attempt_1_while_attempt_2_is_in_flight_goes_to_review(pricing, buyer):
    first, _second = make_routes("digiflazz", ("vipreseller", Decimal("10100")))
    order = placed(first, buyer)
    order = order_apply_provider_update(order=order, result=FAILED)
    order = place(order)

    order = order_apply_provider_update(order=order, result=delivered(), reference=order.code)

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert not order.waiting_on_provider
    assert not Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund").exists()


@pytest.mark.parametrize(
    "answer",
    [
        FAILED,
        ProviderResult(status=ProviderStatus.PENDING),
        ProviderResult(status=ProviderStatus.UNKNOWN, message="read timeout"),
        ProviderResult(status=ProviderStatus.NOT_FOUND),
    ],
    ids=lambda result: result.status.value,
)
def test_any_other_late_answer_of_an_earlier_attempt_changes_nothing(answer, pricing, buyer):
    first, _second = make_routes("digiflazz", ("vipreseller", Decimal("10100")))
    order = placed(first, buyer)
    order = order_apply_provider_update(order=order, result=FAILED)
    order = place(order)
    before = (order.status, order.events.count(), order.route_attempts.count())

    order = order_apply_provider_update(order=order, result=answer, reference=order.code)

    assert (order.status, order.events.count(), order.route_attempts.count()) == before


def test_a_callback_for_attempt_2s_reference_settles_the_order(pricing, buyer):
    first, _second = make_routes("vipreseller", ("digiflazz", Decimal("10100")))
    order = placed(first, buyer)
    order = order_apply_provider_update(order=order, result=FAILED)
    order = place(order)
    reference = f"{order.code}-2"

    found, attempt_reference = order_for_provider_callback(
        provider="digiflazz", reference=reference
    )
    handled = apply_order_callback(
        found, delivered(), reference, attempt_reference=attempt_reference
    )

    assert (found.pk, attempt_reference) == (order.pk, reference)
    order = Order.objects.get(pk=order.pk)
    assert handled.order.pk == order.pk
    assert order.status == OrderStatus.SUCCESS
    assert order.route_attempts.get(reference=reference).outcome == AttemptOutcome.DELIVERED
    # a callback naming attempt 1's reference at its own provider still finds the order
    assert order_for_provider_callback(provider="vipreseller", reference=order.code)[0] == order
    assert order_for_provider_callback(provider="digiflazz", reference=order.code) == (None, "")


def test_an_order_in_flight_without_attempts_gets_attempt_1_on_first_need(pricing, buyer):
    first, _second = make_routes("digiflazz", ("vipreseller", Decimal("10100")))
    order = placed(first, buyer)
    OrderAttempt.objects.filter(order=order).delete()  # as before attempts were kept

    order = order_apply_provider_update(order=order, result=FAILED, reference=order.code)

    assert order.status == OrderStatus.PAID
    assert list(order.route_attempts.values_list("reference", flat=True)) == [
        order.code,
        f"{order.code}-2",
    ]


# --- the ledger ---------------------------------------------------------------------------


def test_the_ledger_books_the_cost_of_the_route_that_delivered(pricing, buyer):
    first, _second = make_routes("digiflazz", ("vipreseller", Decimal("10100")))
    order = placed(first, buyer)
    order = order_apply_provider_update(order=order, result=FAILED)
    order = place(order)
    order = order_apply_provider_update(
        order=order, result=delivered(), reference=f"{order.code}-2"
    )
    order_apply_provider_update(order=order, result=delivered(), reference=f"{order.code}-2")

    cost = Transfer.objects.get(idempotency_key=f"order:{order.code}:cost")
    assert cost.reason == TransferReason.PROVIDER_COST
    assert cost.reference == f"{order.code}-2 vipreseller"
    assert system_account_balance(SystemAccount.PROVIDER_COSTS) == Decimal("10100.00")
    assert ledger_check().ok


# --- any sequence of attempts and answers ---------------------------------------------------

ANSWERS = {
    "success": lambda n: delivered(f"SN-{n}"),
    "failed": lambda n: FAILED,
    "pending": lambda n: ProviderResult(status=ProviderStatus.PENDING),
    "unknown": lambda n: ProviderResult(status=ProviderStatus.UNKNOWN, message="reset"),
    "timeout": lambda n: ProviderResult(status=ProviderStatus.UNKNOWN, message="read timeout"),
}
# (which attempt the answer is about: 0 the current one, k the k-th before it; the answer)
STEPS = st.lists(
    st.tuples(st.integers(min_value=0, max_value=2), st.sampled_from(sorted(ANSWERS))),
    min_size=1,
    max_size=12,
)


def expected_after(status: str, attempts: int, *, current: bool, answer: str) -> tuple[str, int]:
    """The rules as a plain model: (the order's status, its number of attempts) after
    `answer` about the current attempt (`current`) or an earlier one."""
    S = OrderStatus
    if status == S.NEEDS_REVIEW:
        return status, attempts  # a person has it
    if answer == "success":
        if not current or status in (S.REFUNDED,):
            return S.NEEDS_REVIEW, attempts  # delivered after a failure: a person decides
        return S.SUCCESS, attempts
    if not current or status != S.PROCESSING:
        return status, attempts  # an earlier attempt's failure or waiting changes nothing
    if answer == "failed":
        return (S.PAID, attempts + 1) if attempts < 3 else (S.REFUNDED, attempts)
    return status, attempts  # pending, unknown, a timeout: keep asking


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_any_sequence_of_answers_delivers_at_most_once_and_keeps_the_ledger_clean(
    steps, pricing, buyer, settings
):
    settings.ROUTING_MAX_ATTEMPTS = 3
    routes = make_routes(
        "digiflazz", ("vipreseller", Decimal("10100")), ("hubble", Decimal("10200"))
    )
    order = placed(routes[0], buyer)
    start = balance_of(buyer) + order.price
    status, count = OrderStatus.PROCESSING, 1
    for back, answer in steps:
        order = Order.objects.get(pk=order.pk)
        if order.status == OrderStatus.PAID:
            order = place(order)
            status = OrderStatus.PROCESSING
        attempts = list(order.route_attempts.order_by("-number"))
        attempt = attempts[min(back, len(attempts) - 1)]
        order = order_apply_provider_update(
            order=order, result=ANSWERS[answer](attempt.number), reference=attempt.reference
        )
        status, count = expected_after(
            status, count, current=attempt.pk == attempts[0].pk, answer=answer
        )

        order = Order.objects.get(pk=order.pk)
        assert (order.status, order.route_attempts.count()) == (status, count), (back, answer)
        delivered_attempts = order.route_attempts.filter(outcome=AttemptOutcome.DELIVERED)
        assert delivered_attempts.count() <= 1
        numbers = list(order.route_attempts.values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
        costs = Transfer.objects.filter(idempotency_key=f"order:{order.code}:cost")
        refunded = Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund")
        if order.status == OrderStatus.SUCCESS:
            assert delivered_attempts.count() == 1
            assert costs.get().legs.filter(amount__gt=0).get().amount == (
                delivered_attempts.get().cost
            )
            assert not refunded.exists()
        if order.status == OrderStatus.REFUNDED:
            assert not costs.exists()
            assert balance_of(buyer) == start
        if refunded.exists() and costs.exists():  # both: only ever for a person to decide
            assert order.status == OrderStatus.NEEDS_REVIEW
        failovers = OrderEvent.objects.filter(
            order=order, to_status=OrderStatus.PAID, message__startswith="Failed over"
        ).count()
        assert failovers == order.route_attempts.count() - 1
    assert ledger_check().ok


def test_the_failover_tables_in_the_docs_are_what_the_status_tables_say():
    from providers.management.commands.failover_table import START, generated_files, with_table

    for path, table in generated_files().items():
        text = path.read_text()
        assert START in text, path
        assert with_table(text, table) == text, "run: python manage.py failover_table --write"
