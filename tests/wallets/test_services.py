"""wallets.services on real PostgreSQL: every balance change, its legs and its refusals."""

import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection

from shop.errors import ApplicationError
from tests.wallets.factories import ResellerFactory, UserFactory, fund
from wallets.models import (
    BalanceMutation,
    Deposit,
    DepositMethod,
    DepositStatus,
    SystemAccount,
    Transfer,
    TransferReason,
    Wallet,
)
from wallets.selectors import system_account_balance
from wallets.services import (
    Leg,
    deposit_create,
    deposit_credit,
    deposit_reject,
    sales_wallet_for,
    system_wallet,
    wallet_adjust,
    wallet_debit_for_order,
    wallet_deposit,
    wallet_for_user,
    wallet_move,
    wallet_record_gateway_payment,
    wallet_refund_order,
    wallet_set_balance,
    wallet_set_balances,
    wallet_transfer,
)

pytestmark = pytest.mark.django_db

D = Decimal


def ledger_counts() -> tuple[int, int]:
    return Transfer.objects.count(), BalanceMutation.objects.count()


def balance_of(wallet: Wallet) -> Decimal:
    return Wallet.objects.values_list("balance", flat=True).get(pk=wallet.pk)


def balances(*wallets: Wallet) -> list[Decimal]:
    return [balance_of(wallet) for wallet in wallets]


def legs_of(transfer: Transfer) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    """{wallet id: (amount, balance before, balance after)}"""
    return {
        leg.wallet_id: (leg.amount, leg.balance_before, leg.balance_after)
        for leg in transfer.legs.all()
    }


@pytest.fixture
def user():
    return ResellerFactory()


@pytest.fixture
def wallet(user) -> Wallet:
    return fund(user, "1000")


@pytest.fixture
def sales() -> Wallet:
    return system_wallet(SystemAccount.SALES)


@pytest.fixture
def game_clearing() -> Wallet:
    return system_wallet(SystemAccount.GAME_CLEARING)


ORDER_CODE = "TRX-20261123-7KQ2M9"


@pytest.fixture
def order_sales() -> Wallet:
    """The `sales` stripe of order ORDER_CODE (wallets.stripes): where its money goes."""
    return sales_wallet_for(order_code=ORDER_CODE)


def order_like(user, *, code=ORDER_CODE, price="10500", currency="IDR"):
    return SimpleNamespace(code=code, price=D(price), currency=currency, user=user, user_id=user.pk)


def assert_refused(code: str, call, *args, **kwargs) -> ApplicationError:
    """`call` raises ApplicationError(code); the ledger and every balance are unchanged."""
    counts_before = ledger_counts()
    wallets_before = dict(Wallet.objects.values_list("pk", "balance"))
    with pytest.raises(ApplicationError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert ledger_counts() == counts_before
    wallets_after = dict(Wallet.objects.values_list("pk", "balance"))
    # A service may create an empty account it needs (sales on first use), nothing more.
    assert wallets_after == {**{pk: D("0") for pk in wallets_after}, **wallets_before}
    return caught.value


# --- wallet_transfer ------------------------------------------------------------------------


def test_transfer_moves_money_and_writes_legs_with_before_and_after(wallet, sales, user):
    counts_before = ledger_counts()

    transfer = wallet_transfer(
        legs=[Leg(wallet, D("-300.25")), Leg(sales, D("300.25"))],
        reason=TransferReason.PURCHASE,
        reference="TRX-1",
        idempotency_key="test:1",
        actor=user,
        memo="first",
    )

    assert balances(wallet, sales) == [D("699.75"), D("300.25")]
    assert ledger_counts() == (counts_before[0] + 1, counts_before[1] + 2)
    transfer.refresh_from_db()
    assert (transfer.idempotency_key, transfer.reason, transfer.reference, transfer.memo) == (
        "test:1",
        TransferReason.PURCHASE,
        "TRX-1",
        "first",
    )
    assert transfer.actor == user
    assert legs_of(transfer) == {
        wallet.pk: (D("-300.25"), D("1000.00"), D("699.75")),
        sales.pk: (D("300.25"), D("0.00"), D("300.25")),
    }
    assert sum(leg.amount for leg in transfer.legs.all()) == 0


def test_legs_chain_from_one_transfer_to_the_next(wallet, sales):
    for n in range(3):
        wallet_move(
            source=wallet,
            target=sales,
            amount=D("100"),
            reason=TransferReason.PURCHASE,
            reference="",
            idempotency_key=f"chain:{n}",
        )

    legs = list(wallet.mutations.order_by("pk").values_list("balance_before", "balance_after"))
    # The first leg is the funding adjustment.
    assert legs == [
        (D("0"), D("1000")),
        (D("1000"), D("900")),
        (D("900"), D("800")),
        (D("800"), D("700")),
    ]


def test_transfer_with_three_legs(wallet, sales, game_clearing):
    transfer = wallet_transfer(
        legs=[Leg(wallet, D("-100")), Leg(sales, D("60")), Leg(game_clearing, D("40"))],
        reason=TransferReason.GAME_SETTLEMENT,
        idempotency_key="three",
    )

    assert balances(wallet, sales, game_clearing) == [D("900"), D("60"), D("40")]
    assert transfer.legs.count() == 3


def test_legs_that_do_not_sum_to_zero_are_refused(wallet, sales):
    error = assert_refused(
        "unbalanced",
        wallet_transfer,
        legs=[Leg(wallet, D("-100")), Leg(sales, D("99.99"))],
        reason=TransferReason.PURCHASE,
        idempotency_key="unbalanced",
    )
    assert "sum to zero" in error.message
    assert not Transfer.objects.filter(idempotency_key="unbalanced").exists()


def test_a_single_leg_is_refused(sales):
    assert_refused(
        "unbalanced",
        wallet_transfer,
        legs=[Leg(sales, D("100"))],
        reason=TransferReason.ADJUSTMENT,
        idempotency_key="one-leg",
    )


def test_the_same_wallet_twice_is_refused(wallet, sales):
    assert_refused(
        "unbalanced",
        wallet_transfer,
        legs=[Leg(wallet, D("-100")), Leg(wallet, D("50")), Leg(sales, D("50"))],
        reason=TransferReason.PURCHASE,
        idempotency_key="duplicate-wallet",
    )


@pytest.mark.parametrize("amount", ["0", "0.001", "-0.005", "10.999"])
def test_zero_or_sub_cent_leg_is_refused(wallet, sales, amount):
    assert_refused(
        "bad_amount",
        wallet_transfer,
        legs=[Leg(wallet, -D(amount)), Leg(sales, D(amount))],
        reason=TransferReason.PURCHASE,
        idempotency_key="bad-amount",
    )


@pytest.mark.parametrize("amount", ["0", "-5", "0.001", "0.005"])
def test_move_of_zero_negative_or_sub_cent_amount_is_refused(wallet, sales, amount):
    assert_refused(
        "bad_amount",
        wallet_move,
        source=wallet,
        target=sales,
        amount=D(amount),
        reason=TransferReason.PURCHASE,
        reference="",
        idempotency_key="bad-move",
    )


@pytest.mark.parametrize("amount", ["Infinity", "NaN", "1e17"])
def test_move_of_non_finite_or_oversized_amount_is_refused_as_bad_amount(wallet, sales, amount):
    """Amounts that are not money (or exceed the 18-digit money field) are a user error,
    not a crash: the same `bad_amount` refusal as a sub-cent amount."""
    assert_refused(
        "bad_amount",
        wallet_move,
        source=system_wallet(SystemAccount.ADJUSTMENTS),
        target=wallet,
        amount=D(amount),
        reason=TransferReason.ADJUSTMENT,
        reference="",
        idempotency_key="huge-move",
    )


def test_unknown_wallet_is_refused(wallet):
    assert_refused(
        "no_wallet",
        wallet_transfer,
        legs=[Leg(wallet, D("-1")), Leg(Wallet(pk=10**12, currency="IDR"), D("1"))],
        reason=TransferReason.PURCHASE,
        idempotency_key="ghost",
    )


def test_same_key_twice_returns_the_first_transfer_and_moves_nothing(wallet, sales):
    def move():
        return wallet_move(
            source=wallet,
            target=sales,
            amount=D("250"),
            reason=TransferReason.PURCHASE,
            reference="TRX-2",
            idempotency_key="same-key",
        )

    first = move()
    counts_after_first = ledger_counts()

    second = move()

    assert second.pk == first.pk
    assert ledger_counts() == counts_after_first
    assert balances(wallet, sales) == [D("750"), D("250")]


@pytest.mark.parametrize(
    "change",
    [
        {"amount": D("251")},
        {"reason": TransferReason.REFUND},
        {"reference": "TRX-OTHER"},
    ],
    ids=["amount", "reason", "reference"],
)
def test_same_key_with_different_content_is_a_conflict_and_moves_nothing(wallet, sales, change):
    request = {
        "source": wallet,
        "target": sales,
        "amount": D("250"),
        "reason": TransferReason.PURCHASE,
        "reference": "TRX-3",
        "idempotency_key": "conflict-key",
    }
    first = wallet_move(**request)

    error = assert_refused("idempotency_conflict", wallet_move, **{**request, **change})

    assert "conflict-key" in error.message
    assert Transfer.objects.get(idempotency_key="conflict-key").pk == first.pk
    assert balances(wallet, sales) == [D("750"), D("250")]


def test_same_key_for_other_wallets_is_a_conflict(wallet, sales, game_clearing):
    wallet_move(
        source=wallet,
        target=sales,
        amount=D("10"),
        reason=TransferReason.PURCHASE,
        reference="",
        idempotency_key="key-reused",
    )

    assert_refused(
        "idempotency_conflict",
        wallet_move,
        source=wallet,
        target=game_clearing,
        amount=D("10"),
        reason=TransferReason.PURCHASE,
        reference="",
        idempotency_key="key-reused",
    )


def test_insufficient_balance_is_refused_with_the_balance_and_changes_nothing(wallet, sales):
    error = assert_refused(
        "insufficient_balance",
        wallet_move,
        source=wallet,
        target=sales,
        amount=D("1000.01"),
        reason=TransferReason.PURCHASE,
        reference="TRX-4",
        idempotency_key="too-much",
    )

    assert error.extra == {"balance": "1000.00", "needed": "1000.01"}
    assert "1000.00 IDR available" in error.message
    assert balances(wallet, sales) == [D("1000"), D("0")]
    assert not Transfer.objects.filter(idempotency_key="too-much").exists()


def test_the_whole_balance_can_be_spent(wallet, sales):
    wallet_move(
        source=wallet,
        target=sales,
        amount=D("1000"),
        reason=TransferReason.PURCHASE,
        reference="",
        idempotency_key="all-of-it",
    )

    assert balances(wallet, sales) == [D("0"), D("1000")]


def test_a_refused_key_can_be_used_once_the_money_is_there(wallet, sales, user):
    request = {
        "source": wallet,
        "target": sales,
        "amount": D("1500"),
        "reason": TransferReason.PURCHASE,
        "reference": "",
        "idempotency_key": "retry-later",
    }
    assert_refused("insufficient_balance", wallet_move, **request)
    fund(user, "500")

    wallet_move(**request)

    assert balances(wallet, sales) == [D("0"), D("1500")]


def test_a_retry_after_the_balance_moved_returns_the_first_transfer(wallet, sales, user):
    request = {
        "source": wallet,
        "target": sales,
        "amount": D("800"),
        "reason": TransferReason.PURCHASE,
        "reference": "TRX-9",
        "idempotency_key": "spent-then-retried",
    }
    first = wallet_move(**request)  # 200 left: the same move again would overdraw

    again = wallet_move(**request)

    assert again.pk == first.pk
    assert balances(wallet, sales) == [D("200"), D("800")]
    assert ledger_counts() == (2, 4)  # the funding and this transfer


def test_a_transfer_reads_back_as_written(wallet, sales, user):
    last_change = Wallet.objects.get(pk=wallet.pk).updated_at

    transfer = wallet_move(
        source=wallet,
        target=sales,
        amount=D("250.50"),
        reason=TransferReason.PURCHASE,
        reference="TRX-10",
        idempotency_key="read-back",
        actor=user,
        memo="a memo",
    )

    stored = Transfer.objects.get(pk=transfer.pk)
    assert (stored.idempotency_key, stored.reason, stored.reference) == (
        "read-back",
        TransferReason.PURCHASE,
        "TRX-10",
    )
    assert (stored.actor_id, stored.memo, stored.fingerprint) == (
        user.pk,
        "a memo",
        transfer.fingerprint,
    )
    assert stored.created_at == transfer.created_at
    assert [(leg.wallet_id, leg.amount) for leg in stored.legs.all()] == [
        (wallet.pk, D("-250.50")),
        (sales.pk, D("250.50")),
    ]
    assert Wallet.objects.get(pk=wallet.pk).updated_at > last_change


def test_system_accounts_may_go_negative(sales, user):
    wallet = wallet_for_user(user=user)

    wallet_move(
        source=sales,
        target=wallet,
        amount=D("75.50"),
        reason=TransferReason.REFUND,
        reference="",
        idempotency_key="sales-negative",
    )

    assert balances(sales, wallet) == [D("-75.50"), D("75.50")]


def test_user_wallets_may_not_go_negative_even_towards_another_user(user):
    empty = wallet_for_user(user=user)
    other = fund(UserFactory(), "10")

    error = assert_refused(
        "insufficient_balance",
        wallet_move,
        source=empty,
        target=other,
        amount=D("0.01"),
        reason=TransferReason.ADJUSTMENT,
        reference="",
        idempotency_key="user-negative",
    )
    assert error.extra["balance"] == "0.00"


def test_mixed_currencies_are_refused(wallet):
    sales_usd = system_wallet(SystemAccount.SALES, currency="USD")

    assert_refused(
        "currency_mismatch",
        wallet_move,
        source=wallet,
        target=sales_usd,
        amount=D("1"),
        reason=TransferReason.PURCHASE,
        reference="",
        idempotency_key="mixed",
    )


def test_transfers_in_another_currency_use_that_currencys_accounts(user):
    usd = fund(user, "20", currency="USD")
    idr = wallet_for_user(user=user)
    order = order_like(user, price="7.50", currency="USD")

    wallet_debit_for_order(order=order)

    sales_usd = sales_wallet_for(order_code=order.code, currency="USD")
    assert balances(usd, sales_usd, idr) == [D("12.50"), D("7.50"), D("0")]
    assert system_account_balance(SystemAccount.SALES) == 0


# --- orders ---------------------------------------------------------------------------------


def test_debit_for_order_pays_sales_under_the_order_key(user, wallet, order_sales):
    order = order_like(user, price="400")

    transfer = wallet_debit_for_order(order=order, actor=user)

    assert transfer.idempotency_key == f"order:{order.code}:debit"
    assert (transfer.reason, transfer.reference, transfer.actor) == (
        TransferReason.PURCHASE,
        order.code,
        user,
    )
    assert legs_of(transfer) == {
        wallet.pk: (D("-400"), D("1000"), D("600")),
        order_sales.pk: (D("400"), D("0"), D("400")),
    }
    assert wallet_debit_for_order(order=order).pk == transfer.pk
    assert balances(wallet, order_sales) == [D("600"), D("400")]


def test_debit_for_an_order_without_a_buyer_touches_no_system_account(sales, game_clearing):
    guest_order = SimpleNamespace(
        code="TRX-20261123-GUEST1", price=D("100"), currency="IDR", user=None, user_id=None
    )

    assert_refused("no_wallet", wallet_debit_for_order, order=guest_order)


def test_debit_for_order_with_too_little_balance_changes_nothing(user, wallet):
    error = assert_refused(
        "insufficient_balance", wallet_debit_for_order, order=order_like(user, price="1000.50")
    )
    assert error.extra["balance"] == "1000.00"


def test_refund_order_pays_back_once_under_the_order_key(user, wallet, order_sales):
    order = order_like(user, price="400")
    wallet_debit_for_order(order=order)

    refund = wallet_refund_order(order=order, memo="Failed at provider")
    again = wallet_refund_order(order=order, memo="Failed at provider")

    assert again.pk == refund.pk
    assert refund.idempotency_key == f"order:{order.code}:refund"
    assert (refund.reason, refund.reference, refund.memo) == (
        TransferReason.REFUND,
        order.code,
        "Failed at provider",
    )
    assert balances(wallet, order_sales) == [D("1000"), D("0")]
    assert Transfer.objects.filter(reference=order.code).count() == 2


def test_record_gateway_payment_moves_clearing_to_sales_once(user, wallet, order_sales):
    order = order_like(user, price="10500")
    clearing = system_wallet(SystemAccount.GATEWAY_CLEARING)

    payment = wallet_record_gateway_payment(order=order, amount=D("10500"))
    again = wallet_record_gateway_payment(order=order, amount=D("10500"))

    assert again.pk == payment.pk
    assert payment.idempotency_key == f"order:{order.code}:payment"
    assert payment.reason == TransferReason.PAYMENT
    assert balances(clearing, order_sales, wallet) == [D("-10500"), D("10500"), D("1000")]


def test_gateway_payment_reported_again_with_another_amount_is_a_conflict(user):
    order = order_like(user, price="10500")
    wallet_record_gateway_payment(order=order, amount=D("10500"))

    assert_refused(
        "idempotency_conflict", wallet_record_gateway_payment, order=order, amount=D("10000")
    )


# --- deposit and adjust ---------------------------------------------------------------------


def test_deposit_credits_the_wallet_from_gateway_clearing(user):
    wallet = wallet_for_user(user=user)
    clearing = system_wallet(SystemAccount.GATEWAY_CLEARING)

    transfer = wallet_deposit(
        wallet=wallet, amount=D("50000"), reference="deposit:9", idempotency_key="dep:9"
    )
    wallet_deposit(wallet=wallet, amount=D("50000"), reference="deposit:9", idempotency_key="dep:9")

    assert transfer.reason == TransferReason.DEPOSIT
    assert balances(wallet, clearing) == [D("50000"), D("-50000")]
    assert Transfer.objects.filter(idempotency_key="dep:9").count() == 1


@pytest.mark.parametrize("reason", ["", "   "])
def test_adjust_requires_a_reason(wallet, reason):
    assert_refused("reason_required", wallet_adjust, wallet=wallet, amount=D("10"), reason=reason)


def test_a_balance_past_what_the_column_holds_is_refused_and_nothing_moves(wallet):
    almost = D("9000000000000000")  # 9e15; the column holds less than 1e16
    wallet_adjust(wallet=wallet, amount=almost, reason="fix")
    before, transfers = balance_of(wallet), Transfer.objects.count()

    assert_refused(
        "balance_out_of_range", wallet_adjust, wallet=wallet, amount=almost, reason="fix"
    )

    assert balance_of(wallet) == before
    assert Transfer.objects.count() == transfers


@pytest.mark.parametrize("amount", ["0", "0.001"])
def test_adjust_refuses_zero_or_sub_cent(wallet, amount):
    assert_refused("bad_amount", wallet_adjust, wallet=wallet, amount=D(amount), reason="fix")


def test_adjust_records_actor_and_memo_against_the_adjustments_account(wallet):
    staff = UserFactory(is_staff=True)
    adjustments = system_wallet(SystemAccount.ADJUSTMENTS)
    before = balance_of(adjustments)

    transfer = wallet_adjust(
        wallet=wallet, amount=D("-250.50"), reason="  bank fee charged twice  ", actor=staff
    )

    transfer.refresh_from_db()
    assert (transfer.reason, transfer.memo, transfer.actor) == (
        TransferReason.ADJUSTMENT,
        "bank fee charged twice",
        staff,
    )
    assert transfer.reference == f"wallet:{wallet.pk}"
    assert balances(wallet, adjustments) == [D("749.50"), before + D("250.50")]


def test_adjust_below_zero_is_refused(wallet):
    error = assert_refused(
        "insufficient_balance", wallet_adjust, wallet=wallet, amount=D("-1000.01"), reason="fix"
    )
    assert error.extra["balance"] == "1000.00"


def test_adjust_with_a_key_applies_once(wallet):
    first = wallet_adjust(wallet=wallet, amount=D("5"), reason="bonus", idempotency_key="bonus:1")
    second = wallet_adjust(wallet=wallet, amount=D("5"), reason="bonus", idempotency_key="bonus:1")

    assert second.pk == first.pk
    assert balance_of(wallet) == D("1005")


def test_adjust_without_a_key_applies_every_time(wallet):
    wallet_adjust(wallet=wallet, amount=D("5"), reason="bonus")
    wallet_adjust(wallet=wallet, amount=D("5"), reason="bonus")

    assert balance_of(wallet) == D("1010")


# --- set balance ----------------------------------------------------------------------------


def set_balance(wallet, balance, counter, key="shan:W1"):
    return wallet_set_balance(
        wallet=wallet,
        balance=D(balance),
        counter_wallet=counter,
        reason=TransferReason.GAME_SETTLEMENT,
        reference=key,
        idempotency_key=key,
    )


def test_set_balance_moves_to_the_absolute_balance_against_the_counter(wallet, game_clearing):
    down = set_balance(wallet, "250", game_clearing, key="shan:W1")
    up = set_balance(wallet, "1300.40", game_clearing, key="shan:W2")

    assert legs_of(down) == {
        wallet.pk: (D("-750"), D("1000"), D("250")),
        game_clearing.pk: (D("750"), D("0"), D("750")),
    }
    assert legs_of(up) == {
        wallet.pk: (D("1050.40"), D("250"), D("1300.40")),
        game_clearing.pk: (D("-1050.40"), D("750"), D("-300.40")),
    }
    assert balances(wallet, game_clearing) == [D("1300.40"), D("-300.40")]


def test_set_balance_uses_the_balance_read_under_the_lock(user, wallet, game_clearing):
    stale = Wallet.objects.get(pk=wallet.pk)  # holds balance 1000 in memory
    fund(user, "500")  # meanwhile a deposit: 1500 in the database

    transfer = set_balance(stale, "2000", game_clearing)

    assert legs_of(transfer)[wallet.pk] == (D("500"), D("1500"), D("2000"))
    assert balances(wallet, game_clearing) == [D("2000"), D("-500")]


def test_set_balance_duplicate_delivery_changes_nothing(user, wallet, game_clearing, order_sales):
    first = set_balance(wallet, "400", game_clearing)
    # A purchase after the settlement: the repeated delivery must not undo it.
    wallet_debit_for_order(order=order_like(user, price="100"))
    counts = ledger_counts()

    again = set_balance(wallet, "400", game_clearing)

    assert again.pk == first.pk
    assert ledger_counts() == counts
    assert balances(wallet, game_clearing, order_sales) == [D("300"), D("600"), D("100")]


def test_set_balance_same_key_other_balance_is_a_conflict(wallet, game_clearing):
    set_balance(wallet, "400", game_clearing)

    assert_refused("idempotency_conflict", set_balance, wallet, "401", game_clearing, key="shan:W1")


def test_set_balance_below_zero_is_refused(wallet, game_clearing):
    assert_refused("bad_amount", set_balance, wallet, "-0.01", game_clearing)


def test_set_balance_on_the_counter_itself_is_refused(game_clearing):
    assert_refused("unbalanced", set_balance, game_clearing, "10", game_clearing)


def test_set_balance_no_op_delivery_still_records_the_key(user, wallet, game_clearing):
    transfer = set_balance(wallet, "1000", game_clearing, key="shan:noop")

    assert Transfer.objects.filter(idempotency_key="shan:noop").count() == 1
    assert transfer.legs.count() == 0
    assert balances(wallet, game_clearing) == [D("1000"), D("0")]

    fund(user, "1")
    again = set_balance(wallet, "1000", game_clearing, key="shan:noop")

    assert again.pk == transfer.pk
    assert balance_of(wallet) == D("1001")


def test_set_balances_moves_every_target_and_the_counter_takes_the_net(wallet, game_clearing):
    other = fund(UserFactory(), "200")
    empty = wallet_for_user(user=UserFactory())

    transfer = wallet_set_balances(
        targets={wallet: D("900"), other: D("0"), empty: D("55.55")},
        counter_wallet=game_clearing,
        reason=TransferReason.GAME_SETTLEMENT,
        reference="shan:R1",
        idempotency_key="shan:R1",
    )

    # -100 - 200 + 55.55 = -244.45 to the players, +244.45 to the counter.
    assert balances(wallet, other, empty, game_clearing) == [
        D("900"),
        D("0"),
        D("55.55"),
        D("244.45"),
    ]
    assert transfer.legs.count() == 4
    assert sum(transfer.legs.values_list("amount", flat=True)) == 0


def test_set_balances_with_a_user_counter_cannot_overdraw_it(wallet):
    counter = fund(UserFactory(), "10")

    assert_refused(
        "insufficient_balance",
        wallet_set_balances,
        targets={wallet: D("1011")},
        counter_wallet=counter,
        reason=TransferReason.GAME_SETTLEMENT,
        reference="x",
        idempotency_key="x",
    )


# --- deposits -------------------------------------------------------------------------------


def test_deposit_create_refuses_a_non_positive_amount(user):
    with pytest.raises(ApplicationError) as caught:
        deposit_create(user=user, amount=D("0"), method=DepositMethod.BANK_TRANSFER)
    assert caught.value.code == "bad_amount"
    assert not Deposit.objects.exists()


def test_deposit_credit_credits_exactly_once(user):
    staff = UserFactory(is_staff=True)
    deposit = deposit_create(user=user, amount=D("75000"), method=DepositMethod.BANK_TRANSFER)

    credited = deposit_credit(deposit=deposit, actor=staff, gateway_reference="BANK-1")
    again = deposit_credit(deposit=deposit, actor=staff)

    assert Transfer.objects.filter(idempotency_key=f"deposit:{deposit.pk}:credit").count() == 1
    assert again.transfer_id == credited.transfer_id
    deposit.refresh_from_db()
    assert (deposit.status, deposit.decided_by, deposit.gateway_reference) == (
        DepositStatus.CREDITED,
        staff,
        "BANK-1",
    )
    assert deposit.transfer.reason == TransferReason.DEPOSIT
    assert balance_of(wallet_for_user(user=user)) == D("75000")
    assert balance_of(system_wallet(SystemAccount.GATEWAY_CLEARING)) == D("-75000")


def test_deposit_credit_records_when_it_was_decided(user):
    deposit = deposit_create(user=user, amount=D("100"), method=DepositMethod.GATEWAY)
    created_at = deposit.updated_at

    deposit_credit(deposit=deposit)

    deposit.refresh_from_db()
    assert deposit.updated_at > created_at


def test_deposit_reject_records_when_it_was_decided(user):
    deposit = deposit_create(user=user, amount=D("100"), method=DepositMethod.GATEWAY)
    created_at = deposit.updated_at

    deposit_reject(deposit=deposit)

    deposit.refresh_from_db()
    assert deposit.updated_at > created_at


def test_a_rejected_deposit_cannot_be_credited(user):
    deposit = deposit_create(user=user, amount=D("100"), method=DepositMethod.GATEWAY)
    deposit_reject(deposit=deposit, note="no money arrived")

    assert_refused("deposit_rejected", deposit_credit, deposit=deposit)

    deposit.refresh_from_db()
    assert (deposit.status, deposit.transfer_id, deposit.note) == (
        DepositStatus.REJECTED,
        None,
        "no money arrived",
    )
    assert not Wallet.objects.filter(user=user, balance__gt=0).exists()


def test_a_credited_deposit_cannot_be_rejected(user):
    deposit = deposit_credit(
        deposit=deposit_create(user=user, amount=D("100"), method=DepositMethod.GATEWAY)
    )

    assert_refused("deposit_credited", deposit_reject, deposit=deposit)

    deposit.refresh_from_db()
    assert deposit.status == DepositStatus.CREDITED
    assert balance_of(wallet_for_user(user=user)) == D("100")


# --- concurrency ----------------------------------------------------------------------------


def run_in_threads(count: int, work) -> list:
    """Run `work(i)` in `count` threads at once, each on its own connection; the results
    (or the exceptions raised)."""
    results: list = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_never_overdraw_the_wallet():
    user = UserFactory()
    wallet = fund(user, "1000")
    sales = system_wallet(SystemAccount.SALES)

    results = run_in_threads(
        8,
        lambda i: wallet_move(
            source=wallet,
            target=sales,
            amount=D("300"),
            reason=TransferReason.PURCHASE,
            reference="",
            idempotency_key=f"race:{i}",
        ),
    )

    moved = [r for r in results if isinstance(r, Transfer)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(moved) == 3, results
    assert len(refused) == 5, results
    assert {error.code for error in refused} == {"insufficient_balance"}
    assert balances(wallet, sales) == [D("100"), D("900")]


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_key_move_money_once():
    user = UserFactory()
    wallet = fund(user, "1000")
    order = order_like(user, price="400")

    results = run_in_threads(6, lambda i: wallet_debit_for_order(order=order))

    assert all(isinstance(r, Transfer) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert balance_of(wallet) == D("600")
