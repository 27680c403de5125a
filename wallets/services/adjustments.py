"""Staff corrections: a signed adjustment, and moving wallets to absolute balances (the shan
app's round settlement builds on `balances_move` too)."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction

from shop.errors import ApplicationError
from shop.models import NotificationLevel, StaffAlertKind
from shop.money import format_money, is_money, quantize
from shop.notifications import notify
from wallets.models import SystemAccount, Transfer, TransferReason, Wallet
from wallets.recording import WrittenWithTransfer
from wallets.services.ledger import (
    Leg,
    system_wallet,
    transfer_apply,
    wallet_transfer,
    wallets_lock,
)


@dataclass(frozen=True)
class BalancesMoved:
    """What `balances_move` did: its transfer, and the losses a wallet could not cover."""

    transfer: Transfer
    # wallet id -> how much a loss exceeded what the wallet still held (for staff)
    shortfalls: dict[int, Decimal]
    # whether this call wrote the transfer (False: its key had one already, returned)
    written: bool = True


def wallet_adjust(
    *,
    wallet: Wallet,
    amount: Decimal,
    reason: str,
    actor=None,
    idempotency_key: str | None = None,
) -> Transfer:
    """A manual correction by staff: a signed amount against the adjustments account.

    `reason` is required and kept as the transfer's memo.
    """
    if not reason or not reason.strip():
        raise ApplicationError("An adjustment needs a reason.", code="reason_required")
    if not is_money(amount) or Decimal(amount) == 0:
        raise ApplicationError("The amount must be non-zero, in cents.", code="bad_amount")
    amount = Decimal(amount)
    adjustments = system_wallet(SystemAccount.ADJUSTMENTS, currency=wallet.currency)
    with transaction.atomic():
        transfer = wallet_transfer(
            legs=[Leg(adjustments, -amount), Leg(wallet, amount)],
            reason=TransferReason.ADJUSTMENT,
            reference=f"wallet:{wallet.pk}",
            idempotency_key=idempotency_key or f"adjust:{uuid.uuid4()}",
            actor=actor,
            memo=reason.strip(),
        )
        if abs(amount) >= settings.LARGE_ADJUSTMENT_ALERT:
            _tell_staff_of_large_adjustment(transfer, wallet=wallet, amount=amount, actor=actor)
    return transfer


def _tell_staff_of_large_adjustment(transfer: Transfer, *, wallet: Wallet, amount, actor) -> None:
    """Staff hear of every adjustment at or above LARGE_ADJUSTMENT_ALERT, once per transfer."""
    who = actor.get_username() if actor is not None else "a command"
    notify(
        title=f"Large wallet adjustment: {format_money(amount, wallet.currency)} on {wallet}",
        message=f"By {who}: {transfer.memo}",
        level=NotificationLevel.WARNING,
        data={"wallet": wallet.pk, "transfer": transfer.pk},
        alert=StaffAlertKind.LARGE_ADJUSTMENT,
        event_key=f"transfer:{transfer.pk}:large-adjustment",
    )


def wallet_set_balances(
    *,
    targets: Mapping[Wallet, Decimal],
    counter_wallet: Wallet,
    reason: str,
    reference: str,
    idempotency_key: str,
    actor=None,
) -> Transfer:
    """Move each wallet to an absolute balance in one transfer; `counter_wallet` takes the
    difference.

    The differences are computed from the balances read under the lock, so a concurrent
    purchase is never overwritten. A delivery whose balances already hold writes a transfer
    with no legs, which still records the key.
    """
    moved = balances_move(
        targets=targets,
        counter_wallet=counter_wallet,
        request_name="set_balances",
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
    )
    return moved.transfer


def balances_move(
    *,
    targets: Mapping[Wallet, Decimal],
    counter_wallet: Wallet,
    request_name: str,
    reason: str,
    reference: str,
    idempotency_key: str,
    actor=None,
    known_balances: Callable[[], dict[int, Decimal]] | None = None,
    on_recorded: Callable[[Transfer, dict[int, Decimal]], None] | None = None,
    written_with: Sequence[WrittenWithTransfer] = (),
) -> BalancesMoved:
    """Move each target wallet by its target balance minus where it is taken to start: its
    owner's entry in `known_balances()` ({user id: balance}, read under the locks), else the
    wallet's own balance (so it ends at the target). A wallet that may not go below zero
    stops at zero and the rest is a shortfall. `on_recorded(transfer, {wallet id: target})`
    runs, and `written_with` is written (in the transfer's statement on PostgreSQL), only
    when this call wrote the transfer; shortfalls are returned only then."""
    if not all(is_money(balance) for balance in targets.values()):
        raise ApplicationError("A balance must be an amount in cents.", code="bad_amount")
    new_balances = {wallet.pk: quantize(Decimal(balance)) for wallet, balance in targets.items()}
    if counter_wallet.pk in new_balances:
        raise ApplicationError("The counter-account cannot also be a target.", code="unbalanced")
    if any(balance < 0 for balance in new_balances.values()):
        raise ApplicationError("A balance cannot be set below zero.", code="bad_amount")
    shortfalls: dict[int, Decimal] = {}
    written_now: list[Transfer] = []

    def plan_legs(wallets: dict[int, Wallet]) -> list[tuple[int, Decimal]]:
        known = known_balances() if known_balances is not None else {}
        shortfalls.clear()
        legs = []
        for pk, balance in new_balances.items():
            wallet = wallets[pk]
            change = balance - known.get(wallet.user_id, wallet.balance)
            if not wallet.allow_negative and wallet.balance + change < 0:
                shortfalls[pk] = -(wallet.balance + change)
                change = -wallet.balance
            legs.append((pk, change))
        return [*legs, (counter_wallet.pk, -sum(amount for _, amount in legs))]

    def recorded(transfer: Transfer) -> None:
        written_now.append(transfer)
        if on_recorded is not None:
            on_recorded(transfer, new_balances)

    transfer = transfer_apply(
        lock_wallets=partial(wallets_lock, [*new_balances, counter_wallet.pk]),
        plan_legs=plan_legs,
        request={
            request_name: sorted((pk, str(balance)) for pk, balance in new_balances.items()),
            "counter": counter_wallet.pk,
        },
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
        on_recorded=recorded,
        written_with=written_with,
    )
    return BalancesMoved(transfer, dict(shortfalls) if written_now else {}, bool(written_now))


def wallet_set_balance(
    *,
    wallet: Wallet,
    balance: Decimal,
    counter_wallet: Wallet,
    reason: str,
    reference: str,
    idempotency_key: str,
    actor=None,
) -> Transfer:
    """Move one wallet to an absolute balance (see `wallet_set_balances`)."""
    return wallet_set_balances(
        targets={wallet: balance},
        counter_wallet=counter_wallet,
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
    )
