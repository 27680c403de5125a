"""The ledger under random sequences of everything that moves money (hypothesis stateful).

Resellers deposit, buy from their balance, have orders fail (refunded), delivered or
reported twice, get adjusted, and get their balance set by the game provider against the
game clearing account. After every step the ledger must prove itself (`ledger_check`), no
user wallet may be below zero, every order's money must have moved at most once, all
balances must sum to zero per currency, and each wallet must hold what a plain model of
the same steps predicts.
"""

import itertools
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from orders.models import Order, OrderEvent, OrderStatus, PaymentMethod, Voucher
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, VoucherData
from shop.errors import ApplicationError
from shop.models import PriceTier
from tests.catalog.factories import PricingRuleFactory, ProductFactory
from tests.wallets.factories import ResellerFactory
from wallets.models import SystemAccount, Transfer, TransferReason, Wallet
from wallets.selectors import ledger_check
from wallets.services import (
    system_wallet,
    wallet_adjust,
    wallet_deposit,
    wallet_for_user,
    wallet_set_balance,
)

D = Decimal
S = OrderStatus
RESELLERS = 2
OPENING_BALANCE = D("25000")
# 0.01 to 30,000.00: around the prices (2,625 and 10,500), in cents.
AMOUNTS = st.integers(min_value=1, max_value=3_000_000).map(lambda cents: D(cents) / 100)
BALANCES = st.integers(min_value=0, max_value=3_000_000).map(lambda cents: D(cents) / 100)
WHO = st.integers(min_value=0, max_value=RESELLERS - 1)
RESULTS = st.sampled_from(list(ProviderStatus))

# What a provider result does to an order in each state (absent: nothing changes).
NEXT_STATUS = {
    (S.PAID, ProviderStatus.SUCCESS): S.SUCCESS,
    (S.PROCESSING, ProviderStatus.SUCCESS): S.SUCCESS,
    (S.REFUNDED, ProviderStatus.SUCCESS): S.NEEDS_REVIEW,  # never goods and money back
    (S.PAID, ProviderStatus.FAILED): S.REFUNDED,
    (S.PROCESSING, ProviderStatus.FAILED): S.REFUNDED,
    (S.PAID, ProviderStatus.PENDING): S.PROCESSING,
    (S.PAID, ProviderStatus.UNKNOWN): S.PROCESSING,
}


def provider_result(status: ProviderStatus, order: Order) -> ProviderResult:
    vouchers = [VoucherData(serial=f"SN-{order.code}")] if status == ProviderStatus.SUCCESS else []
    return ProviderResult(
        status=status,
        provider_order_id=f"P-{order.code}",
        vouchers=vouchers,
        message=f"{status} from the provider",
        raw={"ref_id": order.code, "status": status.value},
    )


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in its own savepoint, rolled back in teardown().
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        PricingRuleFactory(tier=PriceTier.RESELLER, percent=D("5"))
        self.products = [ProductFactory(cost=D("10000")), ProductFactory(cost=D("2500"))]
        self.users = [ResellerFactory() for _ in range(RESELLERS)]
        self.wallets = [wallet_for_user(user=user) for user in self.users]
        self.game_clearing = system_wallet(SystemAccount.GAME_CLEARING)
        # The model: what each wallet must hold, and each paid order's status.
        self.expected = [D("0")] * RESELLERS
        self.orders: dict[int, str] = {}
        self.delivered: set[int] = set()  # orders that reached success: their cost is booked
        self.settlements: list[tuple[str, int, Decimal]] = []
        self.keys = itertools.count()
        for who in range(RESELLERS):  # an opening balance, so that buying starts at once
            self.deposit(who=who, amount=OPENING_BALANCE)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers --------------------------------------------------------------------------

    def key(self, prefix: str) -> str:
        return f"{prefix}:{next(self.keys)}"

    def snapshot(self) -> tuple:
        """Everything a duplicate must leave alone."""
        return (
            list(Wallet.objects.order_by("pk").values_list("pk", "balance")),
            Transfer.objects.count(),
            list(Order.objects.order_by("pk").values_list("pk", "status")),
            OrderEvent.objects.count(),
            Voucher.objects.count(),
        )

    def who_bought(self, order: Order) -> int:
        return next(i for i, user in enumerate(self.users) if user.pk == order.user_id)

    def apply_update(self, order: Order, status: ProviderStatus) -> None:
        before = self.orders[order.pk]
        order_apply_provider_update(order=order, result=provider_result(status, order))
        after = NEXT_STATUS.get((before, status), before)
        if after == S.SUCCESS:
            self.delivered.add(order.pk)
        if after == S.REFUNDED and before != S.REFUNDED:
            self.expected[self.who_bought(order)] += order.price
        self.orders[order.pk] = after
        order.refresh_from_db()
        assert order.status == after, (before, status, order.status)

    # --- rules ----------------------------------------------------------------------------

    @rule(who=WHO, amount=AMOUNTS)
    def deposit(self, who, amount):
        key = self.key("deposit")
        wallet_deposit(wallet=self.wallets[who], amount=amount, reference=key, idempotency_key=key)
        self.expected[who] += amount

    @rule(who=WHO, which=st.integers(min_value=0, max_value=1))
    def buy(self, who, which):
        user = self.users[who]
        order = order_create(
            purchase=Purchase(
                product=self.products[which],
                customer_data={"user_id": "123456"},
                payment_method=PaymentMethod.BALANCE,
                user=user,
            )
        )
        if self.expected[who] < order.price:
            with pytest.raises(ApplicationError) as caught:
                order_pay_with_balance(order=order, actor=user)
            assert caught.value.code == "insufficient_balance", caught.value.message
            assert D(caught.value.extra["balance"]) == self.expected[who]
            order.refresh_from_db()
            assert order.status == S.PENDING_PAYMENT
            return
        order_pay_with_balance(order=order, actor=user)
        self.expected[who] -= order.price
        self.orders[order.pk] = S.PAID

    def open_orders(self) -> list[int]:
        return sorted(pk for pk, status in self.orders.items() if status in (S.PAID, S.PROCESSING))

    @precondition(lambda self: self.open_orders())
    @rule(data=st.data())
    def fail(self, data):
        order = Order.objects.get(pk=data.draw(st.sampled_from(self.open_orders())))
        self.apply_update(order, ProviderStatus.FAILED)

    @precondition(lambda self: self.open_orders())
    @rule(data=st.data())
    def deliver(self, data):
        order = Order.objects.get(pk=data.draw(st.sampled_from(self.open_orders())))
        self.apply_update(order, ProviderStatus.SUCCESS)

    @precondition(lambda self: self.open_orders())
    @rule(data=st.data(), status=st.sampled_from([ProviderStatus.PENDING, ProviderStatus.UNKNOWN]))
    def pending(self, data, status):
        order = Order.objects.get(pk=data.draw(st.sampled_from(self.open_orders())))
        self.apply_update(order, status)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), status=RESULTS)
    def duplicate_update(self, data, status):
        """Any result, for any order (finished ones too), delivered twice."""
        order = Order.objects.get(pk=data.draw(st.sampled_from(sorted(self.orders))))
        self.apply_update(order, status)
        before = self.snapshot()

        order_apply_provider_update(order=order, result=provider_result(status, order))

        assert self.snapshot() == before

    @rule(who=WHO, amount=AMOUNTS, negative=st.booleans())
    def adjust(self, who, amount, negative):
        signed = -amount if negative else amount
        if self.expected[who] + signed < 0:
            with pytest.raises(ApplicationError) as caught:
                wallet_adjust(wallet=self.wallets[who], amount=signed, reason="chargeback")
            assert caught.value.code == "insufficient_balance"
            return
        wallet_adjust(wallet=self.wallets[who], amount=signed, reason="correction")
        self.expected[who] += signed

    @rule(who=WHO, balance=BALANCES)
    def set_balance(self, who, balance):
        key = self.key("shan")
        wallet_set_balance(
            wallet=self.wallets[who],
            balance=balance,
            counter_wallet=self.game_clearing,
            reason=TransferReason.GAME_SETTLEMENT,
            reference=key,
            idempotency_key=key,
        )
        self.expected[who] = balance
        self.settlements.append((key, who, balance))

    @precondition(lambda self: self.settlements)
    @rule(data=st.data())
    def repeat_set_balance(self, data):
        key, who, balance = data.draw(st.sampled_from(self.settlements))
        before = self.snapshot()

        transfer = wallet_set_balance(
            wallet=self.wallets[who],
            balance=balance,
            counter_wallet=self.game_clearing,
            reason=TransferReason.GAME_SETTLEMENT,
            reference=key,
            idempotency_key=key,
        )

        assert transfer.idempotency_key == key
        assert self.snapshot() == before

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def ledger_proves_itself(self):
        report = ledger_check()
        assert report.ok, report.problems

    @invariant()
    def wallets_hold_what_the_model_predicts(self):
        held = dict(Wallet.objects.filter(user__in=self.users).values_list("user", "balance"))
        assert [held[user.pk] for user in self.users] == self.expected

    @invariant()
    def no_user_wallet_below_zero(self):
        assert not Wallet.objects.filter(user__isnull=False, balance__lt=0).exists()

    @invariant()
    def balances_sum_to_zero_per_currency(self):
        totals = Wallet.objects.values("currency").annotate(total=Sum("balance"))
        assert {row["currency"]: row["total"] for row in totals} == {"IDR": D("0")}

    @invariant()
    def each_order_moved_money_at_most_once(self):
        for order in Order.objects.filter(pk__in=self.orders):
            keys = sorted(
                Transfer.objects.filter(
                    idempotency_key__startswith=f"order:{order.code}:"
                ).values_list("idempotency_key", flat=True)
            )
            refunded = self.orders[order.pk] == S.REFUNDED or (
                self.orders[order.pk] == S.NEEDS_REVIEW
            )
            expected_keys = [f"order:{order.code}:debit"]
            if refunded:
                expected_keys.append(f"order:{order.code}:refund")
            if order.pk in self.delivered:  # the delivering route's cost, once
                expected_keys.append(f"order:{order.code}:cost")
            expected_keys.sort()
            assert keys == expected_keys, (order.status, keys)
            reasons = sorted(
                Transfer.objects.filter(reference=order.code).values_list("reason", flat=True)
            )
            assert reasons == sorted(
                [TransferReason.PURCHASE] + ([TransferReason.REFUND] if refunded else [])
            )


@pytest.mark.django_db
def test_ledger_holds_under_any_sequence_of_money_movements():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
