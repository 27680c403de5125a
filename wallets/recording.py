"""Writing one transfer of the ledger: its row (which claims the idempotency key), one
BalanceMutation per leg, and the new balances of the wallets the caller has locked.

On PostgreSQL this is one statement (data-modifying CTEs), so the locked wallets wait on
one round trip, not three; elsewhere (SQLite for `make run`) it is three ORM statements.
Both write the same rows (but for timestamps: the ORM stamps each row as it saves it, the
one statement stamps all with one moment); the tests run the ledger both ways on
PostgreSQL.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection
from django.utils import timezone

from wallets.models import BalanceMutation, Transfer, Wallet

# The transfer claims its key or, if the key is taken, writes nothing at all: every other
# part joins `transfer`, which is then empty. Legs keep their order (ORDINALITY).
_ONE_STATEMENT = """
WITH transfer AS (
    INSERT INTO wallets_transfer
        (idempotency_key, fingerprint, reason, reference, actor_id, memo, created_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id
), leg AS (
    SELECT * FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[])
        WITH ORDINALITY AS leg (wallet_id, amount, balance_before, balance_after, position)
), balance AS (
    UPDATE wallets_wallet AS wallet
       SET balance = leg.balance_after, updated_at = %s
      FROM leg, transfer
     WHERE wallet.id = leg.wallet_id
), mutation AS (
    INSERT INTO wallets_balancemutation
        (transfer_id, wallet_id, amount, balance_before, balance_after, created_at)
    SELECT transfer.id, leg.wallet_id, leg.amount, leg.balance_before, leg.balance_after, %s
      FROM transfer, leg
     ORDER BY leg.position
){also}
SELECT id FROM transfer
"""


@dataclass(frozen=True)
class WrittenWithTransfer:
    """A write that belongs to a transfer and happens only when the transfer is written
    (its key was free): on PostgreSQL a data-modifying CTE of the transfer's own statement
    (`sql`, with `params`; it reads the new transfer's id from `transfer(id)` and must
    write nothing when `transfer` is empty, e.g. by joining it); elsewhere `orm(transfer)`
    makes the same write after the transfer's rows. E.g. a Shan round's known balances and
    its settlement row (shan.settlement)."""

    sql: str
    params: Sequence
    orm: Callable[["Transfer"], None]


def record_transfer(
    transfer: Transfer,
    wallets: dict[int, Wallet],
    legs: list[tuple[int, Decimal]],
    written_with: Sequence[WrittenWithTransfer] = (),
) -> Transfer | None:
    """Save the new `transfer` with `legs` (wallet id, amount) applied to the locked
    `wallets`, whose balances are updated in place too, and the writes `written_with` it.
    None, with nothing written, when the transfer's idempotency key is taken (PostgreSQL
    waits for a concurrent holder)."""
    now = timezone.now()
    if not writes_in_one_statement():
        recorded = _record_with_the_orm(transfer, wallets, legs, now)
        if recorded is not None:
            for write in written_with:
                write.orm(recorded)
        return recorded
    before = [wallets[wallet_id].balance for wallet_id, _ in legs]
    after = [balance + amount for balance, (_, amount) in zip(before, legs, strict=True)]
    also = "".join(f", also_{n} AS (\n{write.sql}\n)" for n, write in enumerate(written_with))
    with connection.cursor() as cursor:
        cursor.execute(
            _ONE_STATEMENT.format(also=also),
            [
                *(transfer.idempotency_key, transfer.fingerprint, transfer.reason),
                *(transfer.reference, transfer.actor_id, transfer.memo, now),
                [wallet_id for wallet_id, _ in legs],
                [amount for _, amount in legs],
                before,
                after,
                now,
                now,
                *(param for write in written_with for param in write.params),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    transfer.pk, transfer.created_at = row[0], now
    transfer._state.adding, transfer._state.db = False, connection.alias
    _set_balances(wallets, legs, now)
    return transfer


def writes_in_one_statement() -> bool:
    return connection.vendor == "postgresql"


def _record_with_the_orm(
    transfer: Transfer, wallets: dict[int, Wallet], legs: list[tuple[int, Decimal]], now
) -> Transfer | None:
    try:
        transfer.save()
    except IntegrityError:  # the caller rolls the attempt back
        return None
    mutations = [
        BalanceMutation(
            transfer=transfer,
            wallet_id=wallet_id,
            amount=amount,
            balance_before=wallets[wallet_id].balance,
            balance_after=wallets[wallet_id].balance + amount,
        )
        for wallet_id, amount in legs
    ]
    _set_balances(wallets, legs, now)
    _save_balances([wallets[wallet_id] for wallet_id, _ in legs], now)
    BalanceMutation.objects.bulk_create(mutations)
    return transfer


def _set_balances(wallets: dict[int, Wallet], legs: list[tuple[int, Decimal]], now) -> None:
    for wallet_id, amount in legs:
        wallets[wallet_id].balance += amount
        wallets[wallet_id].updated_at = now


def _save_balances(wallets: list[Wallet], now) -> None:
    """Store the new balances of locked wallets in one UPDATE (`UPDATE ... SET balance =
    CASE id WHEN ...`). `save()` would take a round trip per wallet while the locks are
    held, and `bulk_update` builds its CASE in Python at several times the cost."""
    if not wallets:
        return
    meta = Wallet._meta
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    balance, updated_at = meta.get_field("balance"), meta.get_field("updated_at")
    cases = " ".join("WHEN %s THEN %s" for _ in wallets)
    in_list = ", ".join("%s" for _ in wallets)
    params = [
        value
        for wallet in wallets
        for value in (wallet.pk, balance.get_db_prep_save(wallet.balance, connection))
    ]
    params += [updated_at.get_db_prep_save(now, connection), *(wallet.pk for wallet in wallets)]
    with connection.cursor() as cursor:
        cursor.execute(  # identifiers from the model's metadata, values as parameters
            f"UPDATE {table} SET {quote(balance.column)} = CASE {pk} {cases} END, "  # noqa: S608
            f"{quote(updated_at.column)} = %s WHERE {pk} IN ({in_list})",
            params,
        )
