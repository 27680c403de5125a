"""A gateway's word on one payment, applied to the order or wallet deposit it names: the one
path for Tripay's (and the sandbox's) signed callbacks and for the answers to the shop's own
status checks (`orders.payment_checks`).

- The payment is found by `merchant_ref`: an order code, or `DEP-<id>` for a deposit.
- A report whose gateway `reference` is not the one stored on the order or deposit pays
  nothing and changes nothing (Tripay accepts a merchant_ref twice, so it is another
  transaction, which the buyer may have paid): it is returned as WRONG_REFERENCE and staff
  are told.
- Otherwise it goes through `order_apply_gateway_payment` or
  `deposit_apply_gateway_payment`, under the row lock the reference was compared under;
  both are idempotent (ledger keys `order:<code>:payment`, `deposit:<id>:credit`), so a
  callback and a status check of one payment, in any order or at once, credit it once.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction

from orders.models import Order, PaymentMethod
from orders.services.payments import order_apply_gateway_payment
from orders.services.transitions import order_lock
from providers.base import PaymentCallback
from shop.models import NotificationLevel
from shop.notifications import notify
from wallets.models import Deposit
from wallets.services import deposit_apply_gateway_payment, deposit_for_gateway_reference


class ReportVia(StrEnum):
    CALLBACK = "callback"  # the gateway called us (signed)
    STATUS_CHECK = "status_check"  # we asked the gateway (its API)


class ReportOutcome(StrEnum):
    APPLIED = "applied"  # the order or deposit changed
    UNCHANGED = "unchanged"  # applied before (a repeat), or nothing to do
    UNMATCHED = "unmatched"  # no gateway order or deposit with this merchant_ref
    WRONG_REFERENCE = "wrong_reference"  # another payment than the stored one: nothing paid


@dataclass(frozen=True)
class ReportApplied:
    outcome: ReportOutcome
    order: Order | None = None
    deposit: Deposit | None = None
    note: str = ""


def gateway_report_apply(*, report: PaymentCallback, via: ReportVia) -> ReportApplied:
    """Apply `report` (PAID, EXPIRED, FAILED, REFUND; UNPAID changes nothing) to the gateway
    order or deposit whose merchant reference it carries, once. See the module docstring
    for the reference rule; staff are told of a WRONG_REFERENCE after the commit."""
    merchant_ref = report.merchant_ref
    deposit = deposit_for_gateway_reference(merchant_ref)
    if deposit is not None:
        applied = _deposit_report_apply(deposit, report)
    else:
        order = Order.objects.filter(
            code=merchant_ref, payment_method=PaymentMethod.GATEWAY
        ).first()
        if order is None:
            return ReportApplied(
                ReportOutcome.UNMATCHED, note=f"No gateway order or deposit {merchant_ref}."
            )
        applied = _order_report_apply(order, report, via)
    if applied.outcome == ReportOutcome.WRONG_REFERENCE:
        _tell_staff_of_wrong_reference(applied, report, via)
    return applied


def _order_report_apply(order: Order, report: PaymentCallback, via: ReportVia) -> ReportApplied:
    with transaction.atomic():
        order = order_lock(order)
        if order.gateway_reference and order.gateway_reference != report.reference:
            return _wrong_reference(order.gateway_reference, report, order=order)
        before = (order.status, order.amount_received)
        order = order_apply_gateway_payment(order=order, callback=report, via=via)
    changed = (order.status, order.amount_received) != before
    return ReportApplied(ReportOutcome.APPLIED if changed else ReportOutcome.UNCHANGED, order=order)


def _deposit_report_apply(deposit: Deposit, report: PaymentCallback) -> ReportApplied:
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
        if deposit.gateway_reference and deposit.gateway_reference != report.reference:
            return _wrong_reference(deposit.gateway_reference, report, deposit=deposit)
        deposit, changed = deposit_apply_gateway_payment(
            deposit=deposit,
            status=report.status.value,
            amounts=(report.total_amount, report.amount_received),
            gateway_reference=report.reference,
        )
    return ReportApplied(
        ReportOutcome.APPLIED if changed else ReportOutcome.UNCHANGED,
        deposit=deposit,
        note=f"deposit {deposit.pk}",
    )


def _wrong_reference(stored: str, report: PaymentCallback, **target) -> ReportApplied:
    return ReportApplied(
        ReportOutcome.WRONG_REFERENCE,
        note=(
            f"Gateway reference {report.reference} ({report.status.value}) is not "
            f"{report.merchant_ref}'s payment {stored}: nothing was applied."
        ),
        **target,
    )


def _tell_staff_of_wrong_reference(
    applied: ReportApplied, report: PaymentCallback, via: ReportVia
) -> None:
    """Another transaction for the same order or deposit: the buyer may have paid it, and
    the shop will never apply it by itself, so a person must look at it."""
    target = (
        {"order": applied.order.code}
        if applied.order is not None
        else {"deposit": applied.deposit.pk}
    )
    notify(
        title=(
            f"Gateway {report.status.value} for {report.merchant_ref} under another "
            f"reference ({report.reference})"
        ),
        message=f"{applied.note} Reported by {via.value}; check the payment at the gateway.",
        level=NotificationLevel.ERROR,
        data={**target, "gateway_reference": report.reference},
    )
