"""The ledger is append-only: the models refuse changes, and PostgreSQL refuses them too,
even from raw SQL (migration `0002_ledger_guards`)."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from tests.wallets.factories import UserFactory, fund
from wallets.models import BalanceMutation, SystemAccount, Transfer, TransferReason, Wallet
from wallets.services import system_wallet, wallet_move

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def wallet() -> Wallet:
    return fund(UserFactory(), "1000")


@pytest.fixture
def sales() -> Wallet:
    return system_wallet(SystemAccount.SALES)


@pytest.fixture
def transfer(wallet, sales) -> Transfer:
    return wallet_move(
        source=wallet,
        target=sales,
        amount=D("300"),
        reason=TransferReason.PURCHASE,
        reference="TRX-1",
        idempotency_key="order:TRX-1:debit",
    )


@pytest.fixture
def leg(transfer) -> BalanceMutation:
    return transfer.legs.order_by("pk").first()


def snapshot() -> tuple[list, list]:
    """Every transfer and leg as stored."""
    return (
        list(Transfer.objects.order_by("pk").values_list()),
        list(BalanceMutation.objects.order_by("pk").values_list()),
    )


# --- model level ----------------------------------------------------------------------------


def test_saving_a_changed_transfer_raises(transfer):
    before = snapshot()
    transfer.memo = "rewritten"

    with pytest.raises(TypeError, match="append-only"):
        transfer.save()

    assert snapshot() == before


def test_saving_a_changed_leg_raises(leg):
    before = snapshot()
    leg.amount = D("-1")
    leg.balance_after = leg.balance_before - 1

    with pytest.raises(TypeError, match="append-only"):
        leg.save()

    assert snapshot() == before


@pytest.mark.parametrize("model", [Transfer, BalanceMutation])
def test_saving_a_fetched_row_unchanged_raises(transfer, model):
    row = model.objects.first()

    with pytest.raises(TypeError, match="append-only"):
        row.save(update_fields=["created_at"])


def test_a_new_instance_with_an_existing_pk_cannot_overwrite_the_row(transfer):
    """The model guard must not depend on how the instance was obtained: an instance built
    with an existing primary key would otherwise be saved as an UPDATE of that row (on
    SQLite, where no trigger backs the model up, silently)."""
    before = snapshot()
    impostor = Transfer(
        pk=transfer.pk,
        idempotency_key=transfer.idempotency_key,
        fingerprint=transfer.fingerprint,
        reason=TransferReason.REFUND,
        reference="rewritten",
    )

    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        impostor.save()

    assert snapshot() == before


@pytest.mark.parametrize("which", ["transfer", "leg"])
def test_delete_of_an_instance_raises(transfer, leg, which):
    before = snapshot()

    with pytest.raises(TypeError, match="cannot be deleted"):
        {"transfer": transfer, "leg": leg}[which].delete()

    assert snapshot() == before


@pytest.mark.parametrize("model", [Transfer, BalanceMutation])
def test_queryset_update_raises(transfer, model):
    before = snapshot()

    with pytest.raises(TypeError, match="cannot be updated"):
        model.objects.all().update(created_at=transfer.created_at)

    assert snapshot() == before


@pytest.mark.parametrize("model", [Transfer, BalanceMutation])
def test_queryset_delete_raises(transfer, model):
    before = snapshot()

    with pytest.raises(TypeError, match="cannot be deleted"):
        model.objects.filter(pk__isnull=False).delete()

    assert snapshot() == before


def test_related_manager_update_and_delete_raise(transfer, wallet):
    before = snapshot()

    with pytest.raises(TypeError, match="cannot be updated"):
        transfer.legs.update(amount=D("1"))
    with pytest.raises(TypeError, match="cannot be deleted"):
        wallet.mutations.all().delete()
    legs = list(transfer.legs.all())
    # (In a savepoint: bulk_update's own atomic block would doom the test's transaction.)
    with pytest.raises(TypeError, match="cannot be updated"), transaction.atomic():
        BalanceMutation.objects.bulk_update(legs, ["amount"])

    assert snapshot() == before


# --- database level -------------------------------------------------------------------------


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def raw_in_savepoint(sql: str, params=()) -> None:
    """Run `sql` in its own savepoint, so that its failure leaves the test's transaction usable."""
    with transaction.atomic():
        raw(sql, params)


@pytest.mark.parametrize(
    ("sql", "operation", "table"),
    [
        (
            "UPDATE wallets_balancemutation SET amount = amount * 2, "
            "balance_after = balance_before + amount * 2 WHERE transfer_id = %(transfer)s",
            "UPDATE",
            "wallets_balancemutation",
        ),
        (
            "DELETE FROM wallets_balancemutation WHERE transfer_id = %(transfer)s",
            "DELETE",
            "wallets_balancemutation",
        ),
        (
            "UPDATE wallets_transfer SET reference = 'rewritten' WHERE id = %(transfer)s",
            "UPDATE",
            "wallets_transfer",
        ),
        (
            "DELETE FROM wallets_transfer WHERE id = %(transfer)s",
            "DELETE",
            "wallets_transfer",
        ),
    ],
    ids=["update-legs", "delete-legs", "update-transfer", "delete-transfer"],
)
def test_raw_sql_cannot_change_the_ledger(transfer, sql, operation, table):
    before = snapshot()

    with pytest.raises(DatabaseError, match=f"append-only: {operation} on {table} refused"):
        raw_in_savepoint(sql, {"transfer": transfer.pk})

    assert snapshot() == before


def insert_transfer(key: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO wallets_transfer (idempotency_key, fingerprint, reason, reference, memo,"
            " created_at) VALUES (%s, '', 'adjustment', '', '', now()) RETURNING id",
            [key],
        )
        return cursor.fetchone()[0]


def insert_leg(transfer_id: int, wallet: Wallet, amount: str, before: str) -> None:
    raw(
        "INSERT INTO wallets_balancemutation (transfer_id, wallet_id, amount, balance_before,"
        " balance_after, created_at) VALUES (%s, %s, %s, %s, %s, now())",
        [transfer_id, wallet.pk, D(amount), D(before), D(before) + D(amount)],
    )


@pytest.mark.django_db(transaction=True)
def test_unbalanced_legs_inserted_with_raw_sql_fail_at_commit():
    sales = system_wallet(SystemAccount.SALES)
    clearing = system_wallet(SystemAccount.GAME_CLEARING)

    def commit_unbalanced_transfer():
        with transaction.atomic():
            transfer_id = insert_transfer("raw:unbalanced")
            insert_leg(transfer_id, sales, "10", "0")
            insert_leg(transfer_id, clearing, "-5", "0")
            # The check is deferred: inside the transaction nothing has complained yet.
            assert Transfer.objects.filter(idempotency_key="raw:unbalanced").exists()

    with pytest.raises(DatabaseError, match=r"legs sum to 5\.00 IDR, not zero"):
        commit_unbalanced_transfer()

    assert not Transfer.objects.filter(idempotency_key="raw:unbalanced").exists()
    assert not BalanceMutation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_leg_added_later_to_a_committed_transfer_fails_at_commit():
    sales = system_wallet(SystemAccount.SALES)
    clearing = system_wallet(SystemAccount.GAME_CLEARING)
    transfer = wallet_move(
        source=clearing,
        target=sales,
        amount=D("10"),
        reason=TransferReason.ADJUSTMENT,
        reference="",
        idempotency_key="committed",
    )

    with pytest.raises(DatabaseError, match="not zero"), transaction.atomic():
        insert_leg(transfer.pk, system_wallet(SystemAccount.ADJUSTMENTS), "1", "0")

    assert transfer.legs.count() == 2


@pytest.mark.django_db(transaction=True)
def test_balanced_legs_inserted_with_raw_sql_commit():
    """The guard refuses only what is wrong: a balanced raw transfer commits."""
    sales = system_wallet(SystemAccount.SALES)
    clearing = system_wallet(SystemAccount.GAME_CLEARING)

    with transaction.atomic():
        transfer_id = insert_transfer("raw:balanced")
        insert_leg(transfer_id, sales, "10", "0")
        insert_leg(transfer_id, clearing, "-10", "0")

    assert BalanceMutation.objects.filter(transfer_id=transfer_id).count() == 2


def test_unbalanced_legs_fail_at_once_when_constraints_are_immediate():
    sales = system_wallet(SystemAccount.SALES)

    transfer_id = insert_transfer("raw:immediate")
    raw("SET CONSTRAINTS ALL IMMEDIATE")

    with pytest.raises(DatabaseError, match="not zero"), transaction.atomic():
        insert_leg(transfer_id, sales, "10", "0")


@pytest.mark.parametrize(
    ("amount", "before", "after"),
    [("0", "0", "0"), ("10", "0", "11")],
    ids=["zero-amount", "after-is-not-before-plus-amount"],
)
def test_leg_check_constraints(amount, before, after):
    sales = system_wallet(SystemAccount.SALES)

    with pytest.raises(IntegrityError), transaction.atomic():
        raw(
            "INSERT INTO wallets_balancemutation (transfer_id, wallet_id, amount,"
            " balance_before, balance_after, created_at) VALUES (%s, %s, %s, %s, %s, now())",
            [insert_transfer("raw:check"), sales.pk, D(amount), D(before), D(after)],
        )


def test_check_constraint_refuses_a_negative_user_wallet(wallet):
    with pytest.raises(DatabaseError, match="wallet_balance_not_negative"):
        raw_in_savepoint("UPDATE wallets_wallet SET balance = -0.01 WHERE id = %s", [wallet.pk])

    wallet.refresh_from_db()
    assert wallet.balance == D("1000")


def test_check_constraint_refuses_letting_a_user_wallet_go_negative(wallet):
    with pytest.raises(DatabaseError, match="wallet_only_system_may_go_negative"):
        raw_in_savepoint(
            "UPDATE wallets_wallet SET allow_negative = true WHERE id = %s", [wallet.pk]
        )


def test_a_system_account_may_hold_a_negative_balance(sales):
    raw("UPDATE wallets_wallet SET balance = -5 WHERE id = %s", [sales.pk])

    sales.refresh_from_db()
    assert sales.balance == D("-5")
