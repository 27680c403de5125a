"""Reads of the ledger: balances, history, and the invariant check behind `check_ledger`."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from wallets.models import BalanceMutation, Deposit, SystemAccount, Transfer, Wallet
from wallets.transfer_keys import OrderTransferKind, order_transfer_key


@dataclass
class LedgerReport:
    wallets_checked: int = 0
    transfers_checked: int = 0
    problems: list[str] = field(default_factory=list)
    # (system account, currency) -> (balance summed over its stripes, rows)
    system_accounts: dict[tuple[str, str], tuple[Decimal, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def wallet_history(*, wallet: Wallet):
    """The wallet's legs, newest first, with their transfer (reason, reference, memo)."""
    return wallet.mutations.select_related("transfer").order_by("-pk")


def deposits_recent(*, user, limit: int = 5) -> list[Deposit]:
    """The user's latest top-ups, newest first (what the wallet page lists)."""
    return list(Deposit.objects.filter(user=user).order_by("-created_at", "-pk")[:limit])


def order_money(*, order) -> tuple[Decimal, Decimal | None]:
    """What the ledger says reached the shop for `order` (its wallet debit and its gateway
    payment, as the buyer or the gateway paid it: a promotion's leg is not counted), and
    what was refunded to the buyer's wallet (None when no refund was made)."""
    code = order.code
    # A promotion's leg (the `promotions` account paying a discount, or taking it back)
    # is not the buyer's money: left out both ways.
    paid = (
        BalanceMutation.objects.filter(
            transfer__idempotency_key__in=(
                order_transfer_key(order_code=code, kind=OrderTransferKind.DEBIT),
                order_transfer_key(order_code=code, kind=OrderTransferKind.PAYMENT),
            ),
            amount__lt=0,
        )
        .exclude(wallet__system_code=SystemAccount.PROMOTIONS)
        .aggregate(total=Sum("amount"))["total"]
    )
    refunded = (
        BalanceMutation.objects.filter(
            transfer__idempotency_key=order_transfer_key(
                order_code=code, kind=OrderTransferKind.REFUND
            ),
            amount__gt=0,
        )
        .exclude(wallet__system_code=SystemAccount.PROMOTIONS)
        .aggregate(total=Sum("amount"))["total"]
    )
    return -paid if paid else Decimal("0"), refunded


def ledger_check() -> LedgerReport:
    """Prove the ledger's invariants for every wallet and transfer:
    balance = Σ legs = the last leg's balance after; each leg starts where the previous one
    ended; no user wallet below zero; every transfer sums to zero per currency."""
    report = LedgerReport(
        wallets_checked=Wallet.objects.count(), transfers_checked=Transfer.objects.count()
    )
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=18, decimal_places=2))
    last_leg = BalanceMutation.objects.filter(wallet=OuterRef("pk")).order_by("-pk")
    wallets = Wallet.objects.annotate(
        legs_total=Coalesce(Sum("mutations__amount"), zero),
        last_balance_after=Coalesce(Subquery(last_leg.values("balance_after")[:1]), zero),
    ).select_related("user")
    for wallet in wallets.iterator():
        if wallet.balance != wallet.legs_total:
            report.problems.append(
                f"wallet {wallet.pk} ({wallet}): balance {wallet.balance} != sum of legs "
                f"{wallet.legs_total}"
            )
        if wallet.balance != wallet.last_balance_after:
            report.problems.append(
                f"wallet {wallet.pk} ({wallet}): balance {wallet.balance} != last leg's "
                f"balance after {wallet.last_balance_after}"
            )
        if not wallet.allow_negative and wallet.balance < 0:
            report.problems.append(f"wallet {wallet.pk} ({wallet}): below zero ({wallet.balance})")
    report.problems.extend(_broken_chains())
    report.problems.extend(_unbalanced_transfers())
    report.system_accounts = system_account_balances()
    return report


def system_account_balances() -> dict[tuple[str, str], tuple[Decimal, int]]:
    """Each system account's balance per currency, summed over its stripes
    (`wallets.stripes`), with how many rows it has: {(code, currency): (balance, rows)}."""
    rows = (
        Wallet.objects.filter(system_code__isnull=False)
        .values("system_code", "currency")
        .annotate(total=Sum("balance"), rows=Count("pk"))
        .order_by("system_code", "currency")
    )
    return {(row["system_code"], row["currency"]): (row["total"], row["rows"]) for row in rows}


def system_account_balance(code: str, *, currency: str | None = None) -> Decimal:
    """The balance of system account `code` (the shop currency by default): the sum of its
    stripes; 0 before it has a row."""
    total = Wallet.objects.filter(
        system_code=code, currency=currency or settings.SHOP_CURRENCY
    ).aggregate(total=Sum("balance"))["total"]
    return total if total is not None else Decimal("0")


def _broken_chains() -> list[str]:
    table = BalanceMutation._meta.db_table
    sql = f"""
        SELECT id, wallet_id, balance_before, previous_after FROM (
            SELECT id, wallet_id, balance_before,
                   COALESCE(LAG(balance_after) OVER (PARTITION BY wallet_id ORDER BY id), 0)
                       AS previous_after
              FROM {table}
        ) chained
        WHERE balance_before <> previous_after
        ORDER BY id
    """  # noqa: S608 (table name from the model, no input)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [
            f"leg {leg_id} of wallet {wallet_id}: starts at {before}, previous leg ended at "
            f"{previous}"
            for leg_id, wallet_id, before, previous in cursor.fetchall()
        ]


def _unbalanced_transfers() -> list[str]:
    sql = f"""
        SELECT t.id, t.idempotency_key, w.currency, SUM(m.amount)
          FROM {Transfer._meta.db_table} t
          JOIN {BalanceMutation._meta.db_table} m ON m.transfer_id = t.id
          JOIN {Wallet._meta.db_table} w ON w.id = m.wallet_id
         GROUP BY t.id, t.idempotency_key, w.currency
        HAVING SUM(m.amount) <> 0
         ORDER BY t.id
    """  # noqa: S608 (table names from the models, no input)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [
            f"transfer {transfer_id} ({key}): legs sum to {total} {currency}, not zero"
            for transfer_id, key, currency, total in cursor.fetchall()
        ]
