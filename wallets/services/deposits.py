"""Deposits: created pending, credited once to the user's wallet (from the gateway clearing
account), rejected by staff or by the gateway's report."""

import re
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from shop.errors import ApplicationError
from shop.models import NotificationLevel
from shop.notifications import notify
from wallets.models import (
    Deposit,
    DepositMethod,
    DepositStatus,
    SystemAccount,
    Transfer,
    TransferReason,
    Wallet,
)
from wallets.proofs import validate_deposit_proof
from wallets.services.ledger import positive_amount, system_wallet, wallet_for_user, wallet_move


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


@transaction.atomic
def deposit_create(
    *, user, amount: Decimal, method: str, note: str = "", proof: File | None = None
) -> Deposit:
    """A pending deposit. A `proof` (a bank transfer's receipt) must be an image or a PDF by
    its bytes (`wallets.proofs`); any other file is refused and nothing is stored. A user
    with BANK_TRANSFER_MAX_UNDECIDED bank transfers still undecided gets ApplicationError
    `too_many_undecided` (counted under the user's row lock, so parallel posts cannot pass
    the cap together)."""
    if proof is not None:
        try:
            validate_deposit_proof(proof)
        except ValidationError as exc:
            raise ApplicationError(str(exc.messages[0]), code=exc.code or "bad_proof") from None
    if method == DepositMethod.BANK_TRANSFER:
        _bank_transfers_below_cap(user)
    return Deposit.objects.create(
        user=user,
        amount=positive_amount(amount),
        currency=settings.SHOP_CURRENCY,
        method=method,
        note=note,
        proof=proof,
    )


def _bank_transfers_below_cap(user) -> None:
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    cap = settings.BANK_TRANSFER_MAX_UNDECIDED
    undecided = Deposit.objects.filter(
        user=user,
        method=DepositMethod.BANK_TRANSFER,
        status__in=(DepositStatus.PENDING, DepositStatus.PAID),
    ).count()
    if undecided >= cap:
        raise ApplicationError(
            f"You already have {undecided} bank transfers waiting for staff to check them. "
            "Please wait until one is decided.",
            code="too_many_undecided",
            extra={"count": undecided},
        )


def deposit_prune_rejected_proofs(*, older_than_days: int) -> int:
    """Delete the proof files of deposits rejected more than `older_than_days` ago (their
    last change is the rejection); the deposit rows stay. Returns how many files went.
    Credited and undecided deposits keep their proofs."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    doomed = (
        Deposit.objects.filter(status=DepositStatus.REJECTED, updated_at__lt=cutoff)
        .exclude(proof="")
        .order_by("pk")
    )
    pruned = 0
    for deposit in doomed.iterator():
        deposit.proof.delete(save=False)  # a file already gone is no error
        Deposit.objects.filter(pk=deposit.pk).update(proof="")  # updated_at: the rejection
        pruned += 1
    return pruned


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
    if deposit.refunded_at_gateway_at is not None:
        return deposit
    deposit.refunded_at_gateway_at = timezone.now()
    deposit.note = f"{deposit.note}\n{GATEWAY_REFUND_NOTE}".strip()
    deposit.save(update_fields=["refunded_at_gateway_at", "note", "updated_at"])
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
