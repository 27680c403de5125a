"""Moving an order: the one function that does it (`order_transition`), the row lock every
order service takes first, and handing an order to a person (`order_flag_review`).

Each service runs in one transaction and locks the order row first (`order_qs_for_update`),
so concurrent callbacks, polls and staff actions apply one after the other; a duplicate or
stale update finds the order already moved and changes nothing.
"""

from django.db import transaction
from django.utils import timezone

from orders.models import (
    ALLOWED_TRANSITIONS,
    STATUS_TIMESTAMP_FIELDS,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
)
from orders.signals import order_transitioned
from shop.errors import ApplicationError
from shop.models import NotificationLevel, StaffAlertKind
from shop.notifications import notify

ACTIVE_STATUSES = (OrderStatus.PAID, OrderStatus.PROCESSING)


def order_qs_for_update():
    return Order.objects.order_by("pk").select_for_update(of=("self",))


def order_lock(order: Order) -> Order:
    """The order row, locked until the surrounding transaction ends, with fresh values."""
    return order_qs_for_update().get(pk=order.pk)


@transaction.atomic
def order_transition(
    *,
    order: Order,
    to: str,
    message: str = "",
    data: dict | None = None,
    actor=None,
    kind: str = OrderEventKind.TRANSITION,
    **fields,
) -> Order:
    """Move `order` to `to` if the state machine allows it, setting `fields` too, and write
    an OrderEvent of `kind`. Any other move raises ApplicationError(code="invalid_transition")."""
    return order_transition_locked(
        order_lock(order), to=to, message=message, data=data, actor=actor, kind=kind, **fields
    )


def order_transition_locked(
    order: Order,
    *,
    to: str,
    message: str,
    data: dict | None,
    actor,
    kind: str = OrderEventKind.TRANSITION,
    **fields,
) -> Order:
    """`order_transition` of an order this transaction has locked (`order_lock`) already."""
    if to not in ALLOWED_TRANSITIONS[order.status]:
        raise ApplicationError(
            f"Order {order.code} cannot move from {order.status} to {to}.",
            code="invalid_transition",
            extra={"from": order.status, "to": to},
        )
    # Waiting on the provider is a kind of review: any other move ends it.
    fields = {"waiting_on_provider": False, **fields}
    from_status = order.status
    order.status = to
    # A state without its own time (pending_payment, entered from a bill's inquiry) keeps
    # the move's time in its event only.
    stamp = STATUS_TIMESTAMP_FIELDS.get(to)
    if stamp:
        setattr(order, stamp, timezone.now())
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=["status", *([stamp] if stamp else []), *fields, "updated_at"])
    if to == OrderStatus.PAID:
        order_enqueue_placement(order)
    OrderEvent.objects.create(
        order=order,
        kind=kind,
        from_status=from_status,
        to_status=to,
        message=message,
        data=data or {},
        actor=actor,
    )
    # Inside this transaction: what a receiver writes commits or rolls back with the move.
    order_transitioned.send(sender=Order, order=order, from_status=from_status)
    return order


def order_enqueue_placement(order: Order) -> None:
    """A paid order is placed by a worker once this transaction commits."""
    from orders.tasks import order_place  # the tasks module imports the services

    order_id = order.pk
    # robust: a broker that is down must not undo the payment; the reconciler re-enqueues.
    transaction.on_commit(lambda: order_place.delay(order_id), robust=True)


@transaction.atomic
def order_flag_review(
    *,
    order: Order,
    message: str,
    actor=None,
    data=None,
    kind: str = OrderEventKind.TRANSITION,
    **fields,
) -> Order:
    """Hand an order to a person: what no rule may settle alone (staff are notified). It is
    polled on only when it waits on its provider (`waiting_on_provider=True`)."""
    if not fields.get("waiting_on_provider"):
        fields.setdefault("next_poll_at", None)
    order = order_transition(
        order=order,
        to=OrderStatus.NEEDS_REVIEW,
        message=message,
        data=data,
        actor=actor,
        kind=kind,
        **fields,
    )
    notify(
        title=f"Order {order.code} needs review",
        message=message,
        level=NotificationLevel.WARNING,
        data={"order": order.code},
        alert=StaffAlertKind.ORDER_REVIEW,
        event_key=f"order:{order.code}:review:{order.review_at.isoformat()}"
        if order.review_at
        else "",
    )
    return order


def order_note(
    *,
    order: Order,
    message: str,
    kind: str = OrderEventKind.NOTE,
    data: dict | None = None,
    actor=None,
    staff_title: str = "",
    staff_message: str = "",
    level: str = NotificationLevel.WARNING,
) -> OrderEvent:
    """An OrderEvent that moves nothing (the order's history: what happened, who did it);
    with `staff_title`, staff are told too (`staff_message`, else `message`)."""
    event = OrderEvent.objects.create(
        order=order,
        kind=kind,
        from_status=order.status,
        to_status=order.status,
        message=message,
        data=data or {},
        actor=actor,
    )
    if staff_title:
        notify(
            title=staff_title,
            message=staff_message or message,
            level=level,
            data={"order": order.code},
        )
    return event


def order_save_fields(order: Order, fields: dict) -> None:
    """Save `fields` on an order this transaction has locked, without moving it."""
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=[*fields, "updated_at"])
