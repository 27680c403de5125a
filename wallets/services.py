"""Every change of a balance. `wallet_transfer` is the one primitive; the rest build on it.

Guarantees of every service here:
- one database transaction; the wallets involved are locked with `select_for_update` in
  primary-key order (the same order on every path, so two transfers never deadlock);
- idempotent by a unique key: the same key with the same request returns the first
  transfer and moves nothing; the same key with a different request raises;
- legs sum to zero; a user wallet never goes below zero (`insufficient_balance`).
"""

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shop.errors import ApplicationError
from shop.models import NotificationLevel
from shop.money import is_money, quantize
from shop.notifications import notify
from wallets.models import (
    Deposit,
    DepositStatus,
    ShanPlayerBalance,
    SystemAccount,
    Transfer,
    TransferReason,
    Wallet,
)
from wallets.proofs import validate_deposit_proof
from wallets.recording import record_transfer
from wallets.transfer_keys import OrderTransferKind, order_transfer_key


@dataclass(frozen=True)
class Leg:
    wallet: Wallet
    amount: Decimal


def wallet_qs_for_update(wallet_ids):
    """Lock wallets in primary-key order: every path locks the same way."""
    return Wallet.objects.filter(pk__in=wallet_ids).order_by("pk").select_for_update()


def wallet_for_user(*, user, currency: str | None = None) -> Wallet:
    """The user's wallet in `currency` (the shop currency by default), created on first use."""
    return _user_wallet(user_id=user.pk, currency=currency)


def _user_wallet(*, user_id: int, currency: str | None = None) -> Wallet:
    """`wallet_for_user` by the user's id (an order's buyer without loading the user)."""
    wallet, _ = Wallet.objects.get_or_create(
        user_id=user_id, currency=currency or settings.SHOP_CURRENCY
    )
    return wallet


def system_wallet(code: str, *, currency: str | None = None) -> Wallet:
    """A system account (sales, clearing, house bank ...), which may go below zero."""
    wallet, _ = Wallet.objects.get_or_create(
        system_code=SystemAccount(code),
        currency=currency or settings.SHOP_CURRENCY,
        defaults={"allow_negative": True},
    )
    return wallet


def _fingerprint(request: dict) -> str:
    canonical = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_ids(wallet_ids: Sequence[int]) -> dict[int, Wallet]:
    wallets = {wallet.pk: wallet for wallet in wallet_qs_for_update(wallet_ids)}
    if len(wallets) != len(set(wallet_ids)):
        raise ApplicationError("A wallet of this transfer does not exist.", code="no_wallet")
    return wallets


def _lock_buyer_and_system(*, user_id: int, code: str, currency: str) -> dict[int, Wallet]:
    """A user's wallet and a system account, both in `currency`, locked by one query (in
    primary-key order, as everywhere). Either is created first if it does not exist yet
    (the first order ever in a currency: the only time the two may lock out of key order)."""
    if user_id is None:  # `user_id IS NULL` would match the system accounts instead
        raise ApplicationError("A guest's order has no wallet to pay from.", code="no_wallet")
    query = Wallet.objects.filter(
        Q(user_id=user_id) | Q(system_code=code), currency=currency
    ).order_by("pk")
    wallets = {wallet.pk: wallet for wallet in query.select_for_update()}
    if len(wallets) == 2:
        return wallets
    buyer = _user_wallet(user_id=user_id, currency=currency)
    return _lock_ids([buyer.pk, system_wallet(code, currency=currency).pk])


def _apply(
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
) -> Transfer:
    """Lock the wallets (`lock_wallets`), then write the transfer with the legs `plan_legs`
    computes from the locked balances (`record_transfer`: one statement on PostgreSQL). The
    key's fingerprint is that of `request`, or with None that of the planned legs (as
    `wallet_transfer` records them).

    The key's unique index dedupes: a key used before (or by a concurrent transfer, which
    this one waits for) writes nothing, and the first transfer is returned, or
    `idempotency_conflict` raised if it was another request. A refusal (overdraft,
    unbalanced legs) is raised only if the key is still free: a retry of a transfer that
    went through gets that transfer even if the balance has moved since. `on_recorded` runs
    in the same transaction, only when this call wrote the transfer."""
    try:
        with transaction.atomic():
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
    return _apply(
        lock_wallets=partial(_lock_ids, wallet_ids),
        plan_legs=lambda _wallets: list(amounts.items()),
        request={"legs": sorted((pk, str(amount)) for pk, amount in amounts.items())},
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )


def _positive(amount: Decimal) -> Decimal:
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
    amount = _positive(amount)
    return wallet_transfer(
        legs=[Leg(source, -amount), Leg(target, amount)],
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
        memo=memo,
    )


def wallet_debit_for_order(*, order, actor=None) -> Transfer:
    """The buyer's wallet pays `order.price` to sales (key `order:<code>:debit`): the
    `wallet_move` between them, with both wallets found and locked by one query."""
    price = _positive(order.price)

    def plan_legs(wallets: dict[int, Wallet]) -> list[tuple[int, Decimal]]:
        buyer = next(pk for pk, wallet in wallets.items() if wallet.user_id == order.user_id)
        sales = next(pk for pk, wallet in wallets.items() if wallet.pk != buyer)
        return [(buyer, -price), (sales, price)]

    return _apply(
        lock_wallets=partial(
            _lock_buyer_and_system,
            user_id=order.user_id,
            code=SystemAccount.SALES,
            currency=order.currency,
        ),
        plan_legs=plan_legs,
        request=None,
        reason=TransferReason.PURCHASE,
        reference=order.code,
        idempotency_key=order_transfer_key(order_code=order.code, kind=OrderTransferKind.DEBIT),
        actor=actor,
    )


def wallet_record_gateway_payment(*, order, amount: Decimal) -> Transfer:
    """Money the gateway collected for an order reaches sales (key `order:<code>:payment`)."""
    return wallet_move(
        source=system_wallet(SystemAccount.GATEWAY_CLEARING, currency=order.currency),
        target=system_wallet(SystemAccount.SALES, currency=order.currency),
        amount=amount,
        reason=TransferReason.PAYMENT,
        reference=order.code,
        idempotency_key=order_transfer_key(order_code=order.code, kind=OrderTransferKind.PAYMENT),
    )


def wallet_refund_order(
    *, order, actor=None, memo: str = "", amount: Decimal | None = None
) -> Transfer:
    """Sales pays `amount` (default `order.price`) back to the buyer's wallet, once per
    order (key `order:<code>:refund`)."""
    return wallet_move(
        source=system_wallet(SystemAccount.SALES, currency=order.currency),
        target=wallet_for_user(user=order.user, currency=order.currency),
        amount=order.price if amount is None else amount,
        reason=TransferReason.REFUND,
        reference=order.code,
        idempotency_key=order_transfer_key(order_code=order.code, kind=OrderTransferKind.REFUND),
        actor=actor,
        memo=memo,
    )


def wallet_deposit(
    *, wallet: Wallet, amount: Decimal, reference: str, idempotency_key: str, actor=None
) -> Transfer:
    """Credit a deposit from the gateway clearing account."""
    return wallet_move(
        source=system_wallet(SystemAccount.GATEWAY_CLEARING, currency=wallet.currency),
        target=wallet,
        amount=amount,
        reason=TransferReason.DEPOSIT,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
    )


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
    return wallet_transfer(
        legs=[Leg(adjustments, -amount), Leg(wallet, amount)],
        reason=TransferReason.ADJUSTMENT,
        reference=f"wallet:{wallet.pk}",
        idempotency_key=idempotency_key or f"adjust:{uuid.uuid4()}",
        actor=actor,
        memo=reason.strip(),
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
    moved = _move_to_balances(
        targets=targets,
        counter_wallet=counter_wallet,
        request_name="set_balances",
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        actor=actor,
    )
    return moved.transfer


@dataclass(frozen=True)
class GameRoundSettled:
    transfer: Transfer
    # wallet id -> how much a loss exceeded what the wallet still held (for staff)
    shortfalls: dict[int, Decimal]


def wallet_settle_game_round(
    *,
    reported: Mapping[Wallet, Decimal],
    counter_wallet: Wallet,
    reason: str,
    reference: str,
    idempotency_key: str,
) -> GameRoundSettled:
    """A Shan round in one transfer: each wallet moves by what its balance changed at the
    provider, the reported balance minus the one the provider last knew of that player
    (`ShanPlayerBalance`; for a wallet without one, such as the house bank, its own
    balance: it is set to the reported one). So a purchase or a deposit made while the
    round was played stands. A loss bigger than what a player's wallet still holds (spent
    meanwhile) takes it to zero and the rest is returned as a shortfall. The known
    balances become the reported ones; `counter_wallet` takes the difference.

    The legs are planned under the wallets' locks; the key's fingerprint is the reported
    balances, so a concurrent copy of the round gets the first transfer, and changes
    nothing, known balances included (a later round may have moved them on)."""
    players = {wallet.pk: wallet.user_id for wallet in reported if wallet.user_id is not None}

    def known_balances() -> dict[int, Decimal]:
        return dict(
            ShanPlayerBalance.objects.select_for_update()
            .filter(user_id__in=players.values())
            .values_list("user_id", "balance")
        )

    def record_known_balances(transfer: Transfer, balances: dict[int, Decimal]) -> None:
        shan_player_balances_told(
            balances={user_id: balances[pk] for pk, user_id in players.items()}
        )

    return _move_to_balances(
        targets=reported,
        counter_wallet=counter_wallet,
        request_name="reported",
        reason=reason,
        reference=reference,
        idempotency_key=idempotency_key,
        known_balances=known_balances,
        on_recorded=record_known_balances,
    )


def _move_to_balances(
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
) -> GameRoundSettled:
    """Move each target wallet by its target balance minus where it is taken to start: its
    owner's entry in `known_balances()` ({user id: balance}, read under the locks), else the
    wallet's own balance (so it ends at the target). A wallet that may not go below zero
    stops at zero and the rest is a shortfall. `on_recorded(transfer, {wallet id: target})`
    runs only when this call wrote the transfer; shortfalls are returned only then."""
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

    transfer = _apply(
        lock_wallets=partial(_lock_ids, [*new_balances, counter_wallet.pk]),
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
    )
    return GameRoundSettled(transfer, dict(shortfalls) if written_now else {})


def shan_player_balances_told(*, balances: Mapping[int, Decimal]) -> None:
    """Record what the Shan provider now knows of players' balances ({user id: balance}):
    what a launch or a balance query told it, or what a settlement reported."""
    ShanPlayerBalance.objects.bulk_create(
        [
            ShanPlayerBalance(user_id=user_id, balance=balance)
            for user_id, balance in balances.items()
        ],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["balance", "updated_at"],
    )


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


# --- Deposits ------------------------------------------------------------------------------


def deposit_create(
    *, user, amount: Decimal, method: str, note: str = "", proof: File | None = None
) -> Deposit:
    """A pending deposit. A `proof` (a bank transfer's receipt) must be an image or a PDF by
    its bytes (`wallets.proofs`); any other file is refused and nothing is stored."""
    if proof is not None:
        try:
            validate_deposit_proof(proof)
        except ValidationError as exc:
            raise ApplicationError(str(exc.messages[0]), code=exc.code or "bad_proof") from None
    return Deposit.objects.create(
        user=user,
        amount=_positive(amount),
        currency=settings.SHOP_CURRENCY,
        method=method,
        note=note,
        proof=proof,
    )


def _deposit_for_update(deposit: Deposit) -> Deposit:
    return Deposit.objects.select_for_update().get(pk=deposit.pk)


@transaction.atomic
def deposit_credit(*, deposit: Deposit, actor=None, gateway_reference: str = "") -> Deposit:
    """Credit a pending or paid deposit to its user's wallet, exactly once
    (key `deposit:<id>:credit`). Crediting a credited deposit changes nothing."""
    deposit = _deposit_for_update(deposit)
    if deposit.status == DepositStatus.CREDITED:
        return deposit
    if deposit.status == DepositStatus.REJECTED:
        raise ApplicationError("A rejected deposit cannot be credited.", code="deposit_rejected")
    deposit.transfer = wallet_deposit(
        wallet=wallet_for_user(user=deposit.user, currency=deposit.currency),
        amount=deposit.amount,
        reference=f"deposit:{deposit.pk}",
        idempotency_key=f"deposit:{deposit.pk}:credit",
        actor=actor,
    )
    deposit.status = DepositStatus.CREDITED
    deposit.decided_by = actor
    deposit.gateway_reference = gateway_reference or deposit.gateway_reference
    deposit.save(
        update_fields=["transfer", "status", "decided_by", "gateway_reference", "updated_at"]
    )
    return deposit


@transaction.atomic
def deposit_reject(*, deposit: Deposit, actor=None, note: str = "") -> Deposit:
    """Reject a deposit that was not credited; nothing moves."""
    deposit = _deposit_for_update(deposit)
    if deposit.status == DepositStatus.REJECTED:
        return deposit
    if deposit.status == DepositStatus.CREDITED:
        raise ApplicationError("A credited deposit cannot be rejected.", code="deposit_credited")
    deposit.status = DepositStatus.REJECTED
    deposit.decided_by = actor
    deposit.note = note or deposit.note
    deposit.updated_at = timezone.now()
    deposit.save(update_fields=["status", "decided_by", "note", "updated_at"])
    return deposit


DEPOSIT_REFERENCE_PREFIX = "DEP-"


def deposit_gateway_reference(deposit: Deposit) -> str:
    """The merchant reference a gateway payment for this deposit carries."""
    return f"{DEPOSIT_REFERENCE_PREFIX}{deposit.pk}"


def deposit_for_gateway_reference(reference: str) -> Deposit | None:
    number = reference.removeprefix(DEPOSIT_REFERENCE_PREFIX)
    if not reference.startswith(DEPOSIT_REFERENCE_PREFIX) or not re.fullmatch(
        r"[0-9]{1,18}", number
    ):
        return None
    return Deposit.objects.filter(pk=int(number)).first()


@transaction.atomic
def deposit_apply_gateway_payment(
    *, deposit: Deposit, status: str, amounts: tuple, gateway_reference: str
) -> tuple[Deposit, bool]:
    """A gateway's report for a deposit: PAID with the deposit's amount (as the total paid
    or as what reached us after fees) credits it, once; PAID with another amount, or for a
    deposit already rejected, leaves it `paid` for staff (told at once); EXPIRED and FAILED
    reject a pending deposit; REFUND of a credited one tells staff. Returns the deposit and
    whether this report changed it (the row is locked first, so of two copies of one
    report exactly one changes it)."""
    deposit = _deposit_for_update(deposit)
    before = deposit.status
    deposit = _deposit_apply_report(deposit, status, amounts, gateway_reference)
    return deposit, deposit.status != before


def _deposit_apply_report(
    deposit: Deposit, status: str, amounts: tuple, gateway_reference: str
) -> Deposit:
    if status == "PAID":
        # Only a pending deposit is the gateway's to settle; one that is `paid` waits for
        # staff, and one a person decided stays decided (a repeat of the report changes
        # nothing, and tells nobody twice).
        if deposit.status == DepositStatus.PENDING and deposit.amount in amounts:
            return deposit_credit(deposit=deposit, gateway_reference=gateway_reference)
        if deposit.status == DepositStatus.PENDING:
            problem = f"The gateway reported {amounts[0]} for a deposit of {deposit.amount}"
            return _deposit_paid_for_staff(deposit, problem, gateway_reference)
        if deposit.status == DepositStatus.REJECTED and deposit.decided_by_id is None:
            problem = f"Paid at the gateway ({amounts[0]}) after it was rejected"
            return _deposit_paid_for_staff(deposit, problem, gateway_reference)
        return deposit
    if status in ("EXPIRED", "FAILED") and deposit.status == DepositStatus.PENDING:
        return deposit_reject(deposit=deposit, note=f"Payment {status.lower()} at the gateway")
    if status == "REFUND" and deposit.status == DepositStatus.CREDITED:
        return _deposit_refunded_at_gateway(deposit)
    return deposit


GATEWAY_REFUND_NOTE = "Refunded at the gateway after it was credited: check it."


def _deposit_refunded_at_gateway(deposit: Deposit) -> Deposit:
    """The customer got the money back at the gateway and keeps the wallet credit: noted
    on the deposit and told to staff, once."""
    if GATEWAY_REFUND_NOTE in deposit.note:
        return deposit
    deposit.note = f"{deposit.note}\n{GATEWAY_REFUND_NOTE}".strip()
    deposit.save(update_fields=["note", "updated_at"])
    notify(
        title=f"Deposit #{deposit.pk} was refunded at the gateway after it was credited",
        message="The customer has the money back and the wallet credit too: check it.",
        level=NotificationLevel.ERROR,
        data={"deposit": deposit.pk},
    )
    return deposit


def _deposit_paid_for_staff(deposit: Deposit, problem: str, gateway_reference: str) -> Deposit:
    """The customer paid but the shop cannot credit it by itself: `paid`, with the reason in
    the note, for staff to credit or reject (they are told)."""
    deposit.status = DepositStatus.PAID
    deposit.note = f"{problem}: check it, then credit or reject it."
    deposit.gateway_reference = gateway_reference or deposit.gateway_reference
    deposit.save(update_fields=["status", "note", "gateway_reference", "updated_at"])
    notify(
        title=f"Deposit #{deposit.pk} is paid but not credited",
        message=deposit.note,
        level=NotificationLevel.ERROR,
        data={"deposit": deposit.pk},
    )
    return deposit
