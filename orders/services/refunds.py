"""Failing an order and giving the money back, exactly once, under the money rule."""

from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from orders.models import (
    AttemptOutcome,
    Order,
    OrderStatus,
)
from orders.services.attempts import attempt_record
from orders.services.notifications import (
    buyer_language,
    order_notify_buyer,
)
from orders.services.transitions import (
    ACTIVE_STATUSES,
    order_lock,
    order_save_fields,
    order_transition,
)
from providers.base import (
    FINAL_FAILURES,
    FailureKind,
    ProviderResult,
    ProviderStatus,
)
from shop.errors import ApplicationError
from shop.models import NotificationLevel
from shop.money import format_money
from shop.notifications import notify
from wallets.services import (
    wallet_refund_order,
)


def _failure_kind(result: ProviderResult) -> FailureKind:
    """The kind of a provider's refusal: the adapter's reading of its code, else
    unavailable when the provider ran out of balance, else the provider's own failure."""
    if result.failure_kind in {kind.value for kind in FailureKind}:
        return FailureKind(result.failure_kind)
    if result.provider_out_of_balance:
        return FailureKind.UNAVAILABLE
    return FailureKind.SUPPLIER


@transaction.atomic
def order_fail_and_refund(
    *,
    order: Order,
    reason: str,
    failure: ProviderResult | None = None,
    kind: FailureKind | None = None,
    actor=None,
    data=None,
) -> Order:
    """Fail an order that waits on its provider (paid, processing, or in review past its
    deadline) and give the money back exactly once.

    The money rule, kept here for every caller: only the provider's final failure
    (`failure`: FAILED, or NOT_FOUND, it never got the order) or a person's decision
    (`actor`) refunds. Anything else (the clock, pending, unknown, a timeout, silence) is
    refused with ApplicationError `refund_not_allowed` and changes nothing.

    `reason` (the provider's or staff's words) is kept for staff; the buyer reads the
    shop's message for `kind` (default: from the provider's failure, else staff's), in
    their language (`Order.failure_message`).

    Signed-in buyers are refunded to their wallet at once (key `order:<code>:refund`) and
    the order ends `refunded`. A guest's gateway payment stays `failed` with a refund note
    until staff refund it through the gateway or a bank transfer. Calling it again, or on
    a refunded order, changes nothing.
    """
    if actor is None and (failure is None or failure.status not in FINAL_FAILURES):
        raise ApplicationError(
            f"Order {order.code} is refunded only on its provider's final failure or a "
            "person's decision.",
            code="refund_not_allowed",
        )
    if kind is None:
        kind = _failure_kind(failure) if failure is not None else FailureKind.STAFF
    order = order_lock(order)
    if order.status in ACTIVE_STATUSES or order.waits_on_provider:
        order = order_transition(
            order=order,
            to=OrderStatus.FAILED,
            message=reason,
            data=data,
            actor=actor,
            failure_reason=reason,
            failure_kind=kind,
            next_poll_at=None,
            needs_verification=False,
        )
        attempt = order.route_attempts.order_by("-number").first()
        if attempt is not None:  # the attempt in flight ends with the order
            failed = failure or ProviderResult(status=ProviderStatus.FAILED, message=reason)
            attempt_record(attempt, result=failed, outcome=AttemptOutcome.FAILED)
    if order.status != OrderStatus.FAILED:
        return order
    if not order.refunds_to_wallet:
        if not order.refund_note:
            with buyer_language(order):
                note = gettext(
                    "Refund pending: staff will refund your payment through the gateway "
                    "or a bank transfer."
                )
            order_save_fields(order, {"refund_note": note})
            order_notify_buyer(order, gettext_lazy("Your order failed"), NotificationLevel.ERROR)
            notify(
                title=f"Guest refund due for {order.code}",
                message=(
                    f"{format_money(order.price, order.currency)} to {order.guest_email}: {reason}"
                ),
                level=NotificationLevel.WARNING,
                data={"order": order.code},
            )
        return order
    wallet_refund_order(order=order, actor=actor, memo=reason)
    with buyer_language(order):
        note = gettext("Refunded to your wallet: %(amount)s.") % {
            "amount": format_money(order.price, order.currency)
        }
    order = order_transition(
        order=order,
        to=OrderStatus.REFUNDED,
        message=f"Refunded {format_money(order.price, order.currency)} to the wallet",
        actor=actor,
        refund_note=note,
    )
    order_notify_buyer(
        order, gettext_lazy("Your order failed and was refunded"), NotificationLevel.ERROR
    )
    return order
