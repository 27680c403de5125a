"""The ledger's primitive: `wallet_transfer` and what every balance change builds on.

Guarantees of every service in `wallets.services`:
- one database transaction; the wallets involved are locked with `select_for_update` in
  primary-key order (the same order on every path, so two transfers never deadlock);
- idempotent by a unique key: the same key with the same request returns the first
  transfer and moves nothing; the same key with a different request raises;
- legs sum to zero; a user wallet never goes below zero (`insufficient_balance`).
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction

from shop.errors import ApplicationError
from shop.money import is_money, quantize
from wallets.models import SystemAccount, Transfer, Wallet
from wallets.recording import WrittenWithTransfer, record_transfer
from wallets.stripes import stripe_for


@dataclass(frozen=True)
class Leg:
    wallet: Wallet
    amount: Decimal


def wallet_qs_for_update(wallet_ids):
    """Lock wallets in primary-key order: every path locks the same way."""
    return Wallet.objects.filter(pk__in=wallet_ids).order_by("pk").select_for_update()


def wallet_for_user(*, user, currency: str | None = None) -> Wallet:
    """The user's wallet in `currency` (the shop currency by default), created on first use."""
    return wallet_for_user_id(user_id=user.pk, currency=currency)


def wallet_for_user_id(*, user_id: int, currency: str | None = None) -> Wallet:
    """`wallet_for_user` by the user's id (an order's buyer without loading the user)."""
    wallet, _ = Wallet.objects.get_or_create(
        user_id=user_id, currency=currency or settings.SHOP_CURRENCY
    )
    return wallet


def system_wallet(code: str, *, currency: str | None = None, stripe: int = 0) -> Wallet:
    """A system account (sales, clearing, house bank ...), which may go below zero: its
    row `stripe` (`wallets.stripes`; 0, the only one of an account not striped)."""
    wallet, _ = Wallet.objects.get_or_create(
        system_code=SystemAccount(code),
        currency=currency or settings.SHOP_CURRENCY,
        stripe=stripe,
        defaults={"allow_negative": True},
    )
    return wallet


def sales_wallet_for(*, order_code: str, currency: str | None = None) -> Wallet:
    """The `sales` stripe that the money of order `order_code` goes through."""
    stripe = stripe_for(SystemAccount.SALES, key=order_code)
    return system_wallet(SystemAccount.SALES, currency=currency, stripe=stripe)


def _fingerprint(request: dict) -> str:
    canonical = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def wallets_lock(wallet_ids: Sequence[int]) -> dict[int, Wallet]:
    wallets = {wallet.pk: wallet for wallet in wallet_qs_for_update(wallet_ids)}
    if len(wallets) != len(set(wallet_ids)):
        raise ApplicationError("A wallet of this transfer does not exist.", code="no_wallet")
    return wallets


def transfer_apply(
    *,
    lock_wallets: Callable[[], dict[int, Wallet]],
    plan_legs: Callable[[dict[int, Wallet]], list[tuple[int, Decimal]]],
    request: dict | None,
    reason: str,
    reference: str,
    idempotency_key: str,
    actor=None,
    memo: str = "",
    on_recorded: Callable[[Transfer], None] | None = None,
    savepoint: bool = True,
    written_with: Sequence[WrittenWithTransfer] = (),
) -> Transfer:
    """Lock the wallets (`lock_wallets`), then write the transfer with the legs `plan_legs`
    computes from the locked balances, and the writes `written_with` it, only if it is
    written (`record_transfer`: one statement on PostgreSQL). The
    key's fingerprint is that of `request`, or with None that of the planned legs (as
    `wallet_transfer` records them).

    The key's unique index dedupes: a key used before (or by a concurrent transfer, which
    this one waits for) writes nothing, and the first transfer is returned, or
    `idempotency_conflict` raised if it was another request. A refusal (overdraft,
    unbalanced legs) is raised only if the key is still free: a retry of a transfer that
    went through gets that transfer even if the balance has moved since. `on_recorded` runs
    in the same transaction, only when this call wrote the transfer.

    `savepoint=False` (a caller whose key cannot have been used: a debit written in the
    transaction that created its order) saves two round trips, one of them while the
    wallets are locked; any refusal then rolls the caller's whole transaction back."""
    try:
        with transaction.atomic(savepoint=savepoint):
            wallets = lock_wallets()
            planned = plan_legs(wallets)
            if request is None:
                request = {"legs": sorted((pk, str(amount)) for pk, amount in planned)}
            fingerprint = _fingerprint({**request, "reason": reason, "reference": reference})
            legs = [(wallet_id, quantize(amount)) for wallet_id, amount in planned if amount]
            try:
                _refuse(wallets, legs)
            except ApplicationError:
                if Transfer.objects.filter(idempotency_key=idempotency_key).exists():
                    raise _KeyUsed from None
                raise
            transfer = record_transfer(
                Transfer(
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    reason=reason,
                    reference=reference,
                    actor=actor,
                    memo=memo,
                ),
                wallets,
                legs,
                written_with,
            )
            if transfer is None:
                raise _KeyUsed
            if on_recorded is not None:  # only when this call wrote it, under the locks
                on_recorded(transfer)
    except _KeyUsed:
        existing = Transfer.objects.get(idempotency_key=idempotency_key)
        return _same_request_or_raise(existing, fingerprint)
    return transfer


class _KeyUsed(Exception):
    """The idempotency key has a transfer already: this attempt is rolled back."""


def _refuse(wallets: dict[int, Wallet], legs: list[tuple[int, Decimal]]) -> None:
    """ApplicationError unless the legs are one currency, sum to zero, leave every balance
    within what the column holds, and overdraw no wallet that may not go below zero."""
    if len({wallet.currency for wallet in wallets.values()}) > 1:
        raise ApplicationError("A transfer moves one currency only.", code="currency_mismatch")
    if sum(amount for _, amount in legs) != 0:
        raise ApplicationError("The legs of a transfer must sum to zero.", code="unbalanced")
    for wallet_id, amount in legs:
        wallet = wallets[wallet_id]
        if not is_money(wallet.balance + amount):
            raise ApplicationError(
                f"This would take the balance of wallet #{wallet_id} past what it can hold.",
                code="balance_out_of_range",
            )
        if not wallet.allow_negative and wallet.balance + amount < 0:
            raise ApplicationError(
                f"Insufficient balance: {wallet.balance} {wallet.currency} available, "
                f"{-amount} {wallet.currency} needed.",
                code="insufficient_balance",
                extra={"balance": str(wallet.balance), "needed": str(-amount)},
            )


def _same_request_or_raise(existing: Transfer, fingerprint: str) -> Transfer:
    if existing.fingerprint != fingerprint:
        raise ApplicationError(
            f"The key {existing.idempotency_key} was already used for a different transfer.",
            code="idempotency_conflict",
        )
    return existing


def wallet_transfer(
    *,
    legs: Sequence[Leg],
    reason: str,
    reference: str = "",
    idempotency_key: str,
    actor=None,
    memo: str = "",
) -> Transfer:
    """Move money between wallets: each leg a signed amount, the legs summing to zero."""
    if len(legs) < 2:
        raise ApplicationError("A transfer needs at least two legs.", code="unbalanced")
    wallet_ids = [leg.wallet.pk for leg in legs]
    if len(set(wallet_ids)) != len(wallet_ids):
        raise ApplicationError("A wallet may appear only once in a transfer.", code="unbalanced")
    if not all(is_money(leg.amount) for leg in legs):
        raise ApplicationError("Every leg needs a non-zero amount in cents.", code="bad_amount")
    amounts = {leg.wallet.pk: Decimal(leg.amount) for leg in legs}
    if any(amount == 0 for amount in amounts.values()):
        raise ApplicationError("Every leg needs a non-zero amount in cents.", code="bad_amount")
    return transfer_apply(
        lock_wallets=partial(wallets_lock, wallet_ids),
        plan_legs=lambda _wallets: list(amounts.items()),
        request={"legs": sorted((pk, str(amount)) for pk, amount in amounts.items())},
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )


def positive_amount(amount: Decimal) -> Decimal:
    if not is_money(amount) or Decimal(amount) <= 0:
        raise ApplicationError(
            "The amount must be positive, in cents.", code="bad_amount", extra={"amount": amount}
        )
    return Decimal(amount)


def wallet_move(
    *,
    source: Wallet,
    target: Wallet,
    amount: Decimal,
    reason: str,
    reference: str,
    idempotency_key: str,
    actor=None,
    memo: str = "",
) -> Transfer:
    """A two-leg transfer of a positive `amount` from `source` to `target`."""
    amount = positive_amount(amount)
    return wallet_transfer(
        legs=[Leg(source, -amount), Leg(target, amount)],
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )
