"""The operator commands of the ledger: `check_ledger` and `wallet_adjust`."""

import os
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from shop.models import PriceTier, UserRole
from tests.conftest import run_manage
from tests.wallets.factories import UserFactory, fund
from wallets.models import BalanceMutation, SystemAccount, Transfer, TransferReason, Wallet
from wallets.services import system_wallet, wallet_for_user, wallet_move

pytestmark = pytest.mark.django_db

D = Decimal


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def check_ledger() -> tuple[str, str]:
    """Run the command; its stdout and stderr (CommandError propagates)."""
    out, err = StringIO(), StringIO()
    call_command("check_ledger", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def broken_ledger() -> tuple[CommandError, str]:
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("check_ledger", stdout=StringIO(), stderr=err)
    return caught.value, err.getvalue()


def all_system_accounts() -> None:
    """The six system accounts, as migrated (a transactional test's flush removes them)."""
    for code in SystemAccount:
        system_wallet(code)


@pytest.fixture
def ledger() -> dict[str, Wallet]:
    """Two users funded, a purchase and its refund: 9 wallets (7 system), 4 transfers."""
    all_system_accounts()
    alice = fund(UserFactory(username="alice"), "1000")
    bob = fund(UserFactory(username="bob"), "50")
    sales = system_wallet(SystemAccount.SALES)
    for key, source, target in [("buy", alice, sales), ("refund", sales, alice)]:
        wallet_move(
            source=source,
            target=target,
            amount=D("400"),
            reason=TransferReason.PURCHASE,
            reference="",
            idempotency_key=key,
        )
    return {"alice": alice, "bob": bob, "sales": sales}


# --- check_ledger ---------------------------------------------------------------------------


def test_empty_ledger_is_ok():
    all_system_accounts()

    out, err = check_ledger()

    assert out == "Ledger OK: 7 wallets, 0 transfers checked.\n"
    assert err == ""


def test_clean_ledger_is_ok_and_counts_what_it_checked(ledger):
    out, err = check_ledger()

    assert (Wallet.objects.count(), Transfer.objects.count()) == (9, 4)
    assert out == "Ledger OK: 9 wallets, 4 transfers checked.\n"
    assert err == ""


def test_a_corrupted_balance_is_named(ledger):
    alice = ledger["alice"]
    raw("UPDATE wallets_wallet SET balance = balance + 1 WHERE id = %s", [alice.pk])

    error, err = broken_ledger()

    assert str(error) == "Ledger BROKEN: 2 problems; 9 wallets, 4 transfers checked."
    assert err.splitlines() == [
        f"wallet {alice.pk} (alice (IDR)): balance 1001.00 != sum of legs 1000.00",
        f"wallet {alice.pk} (alice (IDR)): balance 1001.00 != last leg's balance after 1000.00",
    ]


def test_a_balance_set_without_any_leg_is_named(ledger):
    """A wallet given money with no transfer at all (balance written directly)."""
    carol = Wallet.objects.create(user=UserFactory(username="carol"), currency="IDR")
    raw("UPDATE wallets_wallet SET balance = 10 WHERE id = %s", [carol.pk])

    _, err = broken_ledger()

    assert f"wallet {carol.pk} (carol (IDR)): balance 10.00 != sum of legs 0" in err
    assert "alice" not in err
    assert "bob" not in err


def without_ledger_triggers():
    """Inside the test's transaction (rolled back at its end): the append-only and balance
    triggers off, to build a corruption no code path can make."""
    raw("SET CONSTRAINTS ALL IMMEDIATE")  # run the pending balance checks: ALTER needs none
    raw("ALTER TABLE wallets_balancemutation DISABLE TRIGGER USER")


def test_a_broken_chain_of_legs_is_named(ledger):
    alice = ledger["alice"]
    first, second = alice.mutations.order_by("pk")[:2]
    without_ledger_triggers()
    # Shift the first leg by 10: every sum and the last balance still agree, only the chain
    # (each leg starts where the previous one ended) is broken.
    raw(
        "UPDATE wallets_balancemutation SET balance_before = balance_before + 10,"
        " balance_after = balance_after + 10 WHERE id = %s",
        [first.pk],
    )

    error, err = broken_ledger()

    assert str(error).startswith("Ledger BROKEN: 2 problems;")
    first_line, second_line = err.splitlines()
    # (The start of a wallet's history prints as "0", not "0.00".)
    assert re.fullmatch(
        rf"leg {first.pk} of wallet {alice.pk}: starts at 10\.00, previous leg ended at 0(\.00)?",
        first_line,
    )
    assert second_line == (
        f"leg {second.pk} of wallet {alice.pk}: starts at 1000.00, previous leg ended at 1010.00"
    )


def test_an_unbalanced_transfer_is_named(ledger):
    sales = ledger["sales"]
    transfer = Transfer.objects.get(idempotency_key="buy")
    without_ledger_triggers()
    # One more leg on sales, and its balance moved to match: only the transfer is wrong.
    raw(
        "INSERT INTO wallets_balancemutation (transfer_id, wallet_id, amount, balance_before,"
        " balance_after, created_at) SELECT %s, id, 5, balance, balance + 5, now()"
        " FROM wallets_wallet WHERE id = %s",
        [transfer.pk, sales.pk],
    )
    raw("UPDATE wallets_wallet SET balance = balance + 5 WHERE id = %s", [sales.pk])

    error, err = broken_ledger()

    assert str(error).startswith("Ledger BROKEN: 1 problem;")
    assert err == f"transfer {transfer.pk} (buy): legs sum to 5.00 IDR, not zero\n"


def test_check_ledger_reads_under_no_lock_and_changes_nothing(ledger):
    before = list(BalanceMutation.objects.values_list()), list(Wallet.objects.values_list())

    check_ledger()

    after = list(BalanceMutation.objects.values_list()), list(Wallet.objects.values_list())
    assert after == before


def manage_env() -> dict[str, str]:
    db = connection.settings_dict
    return {
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
    }


@pytest.mark.django_db(transaction=True)
def test_manage_py_check_ledger_exits_0_then_1_once_broken():
    all_system_accounts()
    alice = fund(UserFactory(username="alice"), "1000")

    clean = run_manage("check_ledger", env=manage_env())

    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip() == "Ledger OK: 8 wallets, 1 transfers checked."

    raw("UPDATE wallets_wallet SET balance = 999 WHERE id = %s", [alice.pk])
    broken = run_manage("check_ledger", env=manage_env())

    assert broken.returncode == 1
    assert f"wallet {alice.pk} (alice (IDR)): balance 999.00 != sum of legs 1000.00" in (
        broken.stderr
    )
    assert "Ledger BROKEN: 2 problems; 8 wallets, 1 transfers checked." in broken.stderr
    assert "Traceback" not in broken.stderr


# --- wallet_adjust --------------------------------------------------------------------------


def adjust(*args: str) -> str:
    out = StringIO()
    call_command("wallet_adjust", *args, stdout=out)
    return out.getvalue()


def test_adjust_creates_a_reseller_and_prints_the_balance():
    out = adjust(
        "alice", "50000", "--reason", "opening balance", "--create-user", "--role", "reseller"
    )

    assert out == "alice: balance 50000.00 IDR\n"
    alice = get_user_model().objects.get(username="alice")
    assert (alice.role, alice.price_tier, alice.has_usable_password()) == (
        UserRole.RESELLER,
        PriceTier.RESELLER,
        False,
    )
    transfer = Transfer.objects.get()
    assert (transfer.reason, transfer.memo) == (TransferReason.ADJUSTMENT, "opening balance")
    assert wallet_for_user(user=alice).balance == D("50000")


def test_adjust_an_existing_user_down_by_a_signed_amount():
    fund(UserFactory(username="bob"), "100")

    out = adjust("bob", "-2.50", "--reason", "fee")

    assert out == "bob: balance 97.50 IDR\n"


def test_adjust_creates_a_customer_by_default():
    adjust("carol", "10", "--reason", "demo", "--create-user")

    carol = get_user_model().objects.get(username="carol")
    assert (carol.role, carol.price_tier) == (UserRole.CUSTOMER, PriceTier.RETAIL)


def test_adjust_unknown_user_without_create_user_is_one_line_error():
    with pytest.raises(CommandError) as caught:
        adjust("nobody", "10", "--reason", "demo")

    assert str(caught.value) == "No user 'nobody' (add --create-user to create one)."
    assert not get_user_model().objects.filter(username="nobody").exists()
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Amount 'abc' is not a number."),
        ("0", "The amount must be non-zero, in cents."),
        ("0.001", "The amount must be non-zero, in cents."),
    ],
)
def test_adjust_bad_amount_is_a_command_error_and_creates_nothing(amount, message):
    with pytest.raises(CommandError) as caught:
        adjust("dave", amount, "--reason", "demo", "--create-user")

    assert str(caught.value) == message
    assert not get_user_model().objects.filter(username="dave").exists()
    assert not Transfer.objects.exists()


@pytest.mark.parametrize("amount", ["Infinity", "sNaN", "1e30", "1e17"])
def test_adjust_amount_that_is_not_money_is_a_command_error(amount):
    """Non-finite amounts, and amounts too large for the money field, get the same one-line
    refusal as any bad amount, not a traceback."""
    with pytest.raises(CommandError):
        adjust("erin", amount, "--reason", "demo", "--create-user")

    assert not Transfer.objects.exists()


def test_adjust_below_zero_is_refused_with_the_balance():
    wallet = fund(UserFactory(username="frank"), "100")

    with pytest.raises(CommandError) as caught:
        adjust("frank", "-150", "--reason", "chargeback")

    assert str(caught.value) == "Insufficient balance: 100.00 IDR available, 150.00 IDR needed."
    wallet.refresh_from_db()
    assert wallet.balance == D("100")
    assert Transfer.objects.count() == 1


def test_adjust_needs_a_reason():
    UserFactory(username="gina")

    with pytest.raises(CommandError, match="--reason"):
        adjust("gina", "10")
    with pytest.raises(CommandError) as caught:
        adjust("gina", "10", "--reason", "   ")

    assert str(caught.value) == "An adjustment needs a reason."
    assert not Transfer.objects.exists()


def test_adjust_refused_for_a_new_user_leaves_no_user_behind():
    with pytest.raises(CommandError, match=r"Insufficient balance: 0\.00 IDR available"):
        adjust("henry", "-1", "--reason", "oops", "--create-user")

    assert not get_user_model().objects.filter(username="henry").exists()
    assert not Wallet.objects.filter(user__isnull=False).exists()
