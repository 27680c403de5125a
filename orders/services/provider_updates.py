"""A provider's answer about an order (placement reply, poll, callback) applied under the
money rule: only the provider's final answer settles an order. Each answer is about one
attempt (orders.services.attempts): one about an earlier attempt never settles the current
one, and a final failure of the current one may fail over to the next route.
"""

from django.db import transaction
from django.utils import timezone

from orders.models import (
    AttemptOutcome,
    Order,
    OrderAttempt,
    OrderEventKind,
    OrderStatus,
    Voucher,
)
from orders.services.attempts import (
    attempt_note,
    attempt_record,
    order_attempt_current,
    order_attempt_for,
    order_book_delivery,
    order_fail_over,
)
from orders.services.notifications import (
    order_notify_delivered,
)
from orders.services.refunds import order_fail_and_refund
from orders.services.transitions import (
    ACTIVE_STATUSES,
    order_flag_review,
    order_lock,
    order_note,
    order_save_fields,
    order_transition,
)
from providers.base import (
    DEFAULT_PENDING_RULE,
    FailureKind,
    PendingRule,
    ProviderResult,
    ProviderStatus,
)
from providers.http import ALWAYS_REDACTED, redact


@transaction.atomic
def order_apply_provider_update(
    *,
    order: Order,
    result: ProviderResult,
    rule: PendingRule = DEFAULT_PENDING_RULE,
    reference: str = "",
) -> Order:
    """The single entry for every provider result (placement reply, poll, callback), and
    where the money rule holds: only the provider's final answer settles an order.

    - SUCCESS: vouchers stored once, `success`, buyer notified (also from `needs_review`
      while the order waits on its provider); after a failure or refund, `needs_review`
      instead (never both money back and goods);
    - FAILED: `failed` and refunded (order_fail_and_refund); but a FAILED that
      `revokes_delivery` (the provider took back what it delivered) goes to
      `needs_review` with the vouchers revoked and nothing refunded (_apply_revocation);
    - PENDING, UNKNOWN: never a refund. The next status call comes from the provider's
      `rule` (an unknown outcome is marked for verification by reference, no sooner than
      the rule's `verify_after`). Past the rule's deadline the order goes to `needs_review` ("still
      pending at <provider> after N minutes", staff told once) and is still asked on the
      slow schedule; after the hard stop polling ends and staff are told (once).
    An update for an order that has already moved past it changes nothing. NOT_FOUND is
    not an update (the pipeline decides what to do with it) and changes nothing here.

    Attempts: the answer is about the attempt whose provider reference is `reference`
    (empty: the current attempt) and is kept on it. A FAILED of the current attempt fails
    over to the next route where the rule allows (`order_fail_over`) instead of refunding.
    An answer about an earlier attempt never settles the order (`_apply_to_earlier`): its
    late success hands the order to a person, anything else changes nothing. A reference
    that names no attempt of the order changes nothing.
    """
    order = order_lock(order)
    current = order_attempt_current(order=order)
    if reference and reference != current.reference:
        attempt = order_attempt_for(order=order, reference=reference)
        if attempt is None or attempt.pk == current.pk:
            return order  # not an attempt of this order
        return _apply_to_earlier(order, attempt, result)
    attempt = current
    provider_fields = {
        "provider_order_id": result.provider_order_id or order.provider_order_id,
        "provider_status": result.status.value,
        "provider_message": result.message[:2000],
        "provider_rc": result.rc,
    }
    # Whatever an adapter left in `raw`, codes and serials never reach the event log.
    data = {"status": result.status.value, "raw": redact(result.raw, ALWAYS_REDACTED)}
    if result.status == ProviderStatus.SUCCESS:
        return _apply_success(order, result, provider_fields, data)
    if result.status == ProviderStatus.FAILED and result.revokes_delivery:
        attempt_record(attempt, result=result)
        return _apply_revocation(order, result, provider_fields, data)
    waiting = order.status == OrderStatus.PAID or order.waits_on_provider
    if not waiting or result.status == ProviderStatus.NOT_FOUND:
        return order  # stale: a late pending/failed/unknown for a finished order
    if result.status == ProviderStatus.FAILED:
        order_save_fields(order, provider_fields)
        moved = order_fail_over(order=order, attempt=attempt, result=result)
        if moved is not None:
            return moved
        attempt_record(attempt, result=result, outcome=AttemptOutcome.FAILED)
        return order_fail_and_refund(
            order=order,
            reason=result.message or "Failed at provider",
            failure=result,
        )
    attempt_record(attempt, result=result, outcome=AttemptOutcome.PENDING)
    return _still_waiting(order, result, rule, provider_fields, data)


LATE_SUCCESS = "Reported SUCCESS after its final failure"
_SETTLED = (OrderStatus.SUCCESS, OrderStatus.FAILED, OrderStatus.REFUNDED)


def _apply_to_earlier(order: Order, attempt: OrderAttempt, result: ProviderResult) -> Order:
    """An answer about an attempt the order has moved on from (it failed for good, and the
    order failed over). Only a success matters: the provider delivered what it had said
    failed, while a later attempt delivered or is in flight, so the order may be delivered
    twice. It goes to `needs_review` (staff told; codes kept if the order has none); a
    repeat, or any other answer, changes nothing."""
    if result.status != ProviderStatus.SUCCESS or LATE_SUCCESS in attempt.message:
        return order
    attempt_note(attempt, message=f"{LATE_SUCCESS} (order {order.status}).")
    if order.status not in (*ACTIVE_STATUSES, *_SETTLED, OrderStatus.NEEDS_REVIEW):
        return order  # expired/cancelled orders were never placed
    if order.status == OrderStatus.NEEDS_REVIEW and not order.waiting_on_provider:
        return order  # a person has it already; the attempt keeps the news
    _store_vouchers(order, result)
    current = order_attempt_current(order=order)
    message = (
        f"{attempt.provider_code} reported success for attempt {attempt.number} "
        f"({attempt.reference}) after it had failed and the order moved on to attempt "
        f"{current.number} at {current.provider_code} ({current.reference}, "
        f"{current.outcome}): it may be delivered twice. Check both at the providers."
    )
    data = {"late_success": {"attempt": attempt.reference, "current": current.reference}}
    if order.status == OrderStatus.NEEDS_REVIEW:  # in review, waiting on its provider
        order_save_fields(order, {"waiting_on_provider": False, "next_poll_at": None})
        order_note(
            order=order,
            message=message,
            data=data,
            staff_title=f"Order {order.code}: a failed attempt reported success",
        )
        return order
    return order_flag_review(order=order, message=message, data=data, needs_verification=False)


def _still_waiting(
    order: Order, result: ProviderResult, rule: PendingRule, provider_fields: dict, data: dict
) -> Order:
    """A pending or unknown answer: the next status call, and past the deadline a person."""
    verify = result.status == ProviderStatus.UNKNOWN
    now = timezone.now()
    first_requested_at = order.first_requested_at or now
    deadline_at = order.deadline_at or rule.deadline_at(first_requested_at=first_requested_at)
    next_poll_at = rule.next_poll_at(first_requested_at=first_requested_at, after=now)
    if verify and next_poll_at is not None:
        next_poll_at = max(next_poll_at, now + rule.verify_after)
    schedule = {
        "needs_verification": verify,
        "first_requested_at": first_requested_at,
        "next_poll_at": next_poll_at,
        "deadline_at": deadline_at,
    }
    if order.status == OrderStatus.PAID:
        order = order_transition(
            order=order,
            to=OrderStatus.PROCESSING,
            message="Outcome unknown: verify by reference" if verify else "Pending at provider",
            data=data,
            **schedule,
            **provider_fields,
        )
    else:
        order_save_fields(order, {**provider_fields, **schedule})
    if order.status == OrderStatus.PROCESSING and now >= deadline_at:
        order = order_flag_review(
            order=order,
            message=_waiting_message(order, result, rule, now),
            data=data,
            waiting_on_provider=True,
        )
    if next_poll_at is None:
        return order_stop_polling(
            order=order,
            reason=(
                f"still not settled at {order.provider_code} {_age(order, now)} after the "
                f"first request. Check it at the provider by reference {_reference(order)} and "
                "settle it by hand."
            ),
        )
    return order


def _reference(order: Order) -> str:
    """The provider reference of the order's current attempt (its code for attempt 1)."""
    return order_attempt_current(order=order).reference


def _age(order: Order, now) -> str:
    minutes = int((now - order.first_requested_at).total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 180 else f"{minutes // 60} hours"


def _waiting_message(order: Order, result: ProviderResult, rule: PendingRule, now) -> str:
    said = "Still pending" if result.status == ProviderStatus.PENDING else "Outcome unknown"
    until = rule.hard_stop_at(first_requested_at=order.first_requested_at)
    return (
        f"{said} at {order.provider_code} after {_age(order, now)}: not refunded. The shop "
        f"keeps asking until {until:%Y-%m-%d %H:%M %Z}; the provider's final answer settles "
        f"the order (success delivers, a failure refunds). Reference {_reference(order)}."
    )


POLLING_STOPPED = "Polling stopped: "


@transaction.atomic
def order_stop_polling(*, order: Order, reason: str) -> Order:
    """No more status calls for an order that waits on its provider (the hard stop, a
    reference too old to send again): it stays (or goes) in `needs_review`, still settled
    by a final answer that comes by callback, and staff are told once. Other orders are
    left as they are."""
    order = order_lock(order)
    message = POLLING_STOPPED + reason
    if order.status == OrderStatus.PROCESSING:
        return order_flag_review(
            order=order,
            message=message,
            kind=OrderEventKind.POLLING_STOPPED,
            waiting_on_provider=True,
            next_poll_at=None,
        )
    if not order.waits_on_provider:
        return order
    order_save_fields(order, {"next_poll_at": None, "poll_claim": ""})
    told = order.events.filter(
        kind=OrderEventKind.POLLING_STOPPED, created_at__gte=order.review_at
    ).exists()
    if told:
        return order
    order_note(
        order=order,
        kind=OrderEventKind.POLLING_STOPPED,
        message=message,
        staff_title=f"Order {order.code}: polling stopped",
    )
    return order


def _apply_success(order: Order, result: ProviderResult, provider_fields: dict, data) -> Order:
    if order.status in ACTIVE_STATUSES or order.waits_on_provider:
        _store_vouchers(order, result)
        order = order_transition(
            order=order,
            to=OrderStatus.SUCCESS,
            message=result.message or "Delivered",
            data=data,
            needs_verification=False,
            next_poll_at=None,
            **provider_fields,
        )
        order_book_delivery(order=order, result=result)
        order_notify_delivered(order)
        return order
    if order.status in (OrderStatus.SUCCESS, OrderStatus.NEEDS_REVIEW):
        return order  # a duplicate success, or one already waiting for a person
    if order.status in (OrderStatus.FAILED, OrderStatus.REFUNDED):
        _store_vouchers(order, result)
        attempt_note(
            order_attempt_current(order=order),
            message=f"Reported SUCCESS after the order was {order.status}.",
        )
        return order_flag_review(
            order=order,
            message=f"The provider reported success after the order was {order.status}.",
            data=data,
            **provider_fields,
        )
    return order  # expired/cancelled orders were never placed: nothing to deliver


def _apply_revocation(order: Order, result: ProviderResult, provider_fields: dict, data) -> Order:
    """The provider took back an order it had delivered (Hubble REVERSED, or CANCELLED after
    SUCCESS). Its vouchers (those the reply lists, stored first if the order had none) are
    marked revoked with the time and reason; a paid, processing or delivered order goes to
    `needs_review` with the reason (staff told, an API order's reseller called back). No
    money moves: keeping it refunded is a person's decision. An order already in review or
    closed only has its codes marked (staff told once); a repeat changes nothing."""
    reason = f"{result.message or 'The provider took this order back'} after delivering it"
    reason = f"{reason}: its codes were revoked."
    if order.status in ACTIVE_STATUSES:
        _store_vouchers(order, result)
    revoked = order.vouchers.filter(revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    if order.status in (*ACTIVE_STATUSES, OrderStatus.SUCCESS):
        return order_flag_review(
            order=order,
            message=f"{reason} Nothing was refunded: staff decide (resolve review: keep refunded).",
            data=data,
            failure_reason=reason,
            failure_kind=FailureKind.REVOKED,
            needs_verification=False,
            next_poll_at=None,
            **provider_fields,
        )
    if order.waiting_on_provider:  # in review past its deadline: this answer is final
        order_save_fields(order, {"waiting_on_provider": False, "next_poll_at": None})
    if revoked:
        order_note(
            order=order,
            message=reason,
            data=data,
            staff_title=f"Order {order.code}: its codes were revoked while it was {order.status}",
        )
    return order


def _store_vouchers(order: Order, result: ProviderResult) -> None:
    if order.vouchers.exists():
        return
    Voucher.objects.bulk_create(
        Voucher(
            order=order,
            code=voucher.code,
            pin=voucher.pin,
            serial=voucher.serial,
            expires_on=voucher.expires_on,
            amount=voucher.amount,
            provider_voucher_id=voucher.provider_voucher_id,
        )
        for voucher in result.vouchers
    )
