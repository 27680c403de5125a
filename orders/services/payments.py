"""Paying for orders: from the buyer's wallet, or as the payment gateway reports it."""

from decimal import Decimal

from django.db import transaction

from orders.models import (
    Order,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
)
from orders.promotions import order_promotion_discount
from orders.services.notifications import order_notify_paid
from orders.services.transitions import (
    order_flag_review,
    order_lock,
    order_note,
    order_transition,
    order_transition_locked,
)
from providers.base import (
    PaymentCallback,
    PaymentStatus,
)
from shop.errors import ApplicationError
from shop.models import NotificationLevel
from shop.money import format_money
from wallets.services import (
    wallet_debit_for_order,
    wallet_record_gateway_payment,
)


@transaction.atomic
def order_pay_with_balance(*, order: Order, actor=None) -> Order:
    """Move the order to `paid` and debit the buyer's wallet (key `order:<code>:debit`), in
    one transaction: with too little balance nothing is debited and the order stays unpaid
    (ApplicationError `insufficient_balance`, the balance in `extra`). Paying a paid order
    again changes nothing. The debit comes last: the buyer's wallet row, which every order
    of a busy reseller needs, stays locked only from the debit to the commit. (A new order
    paid at once: `order_create_paid_from_wallet`.)"""
    order = order_lock(order)
    if order.payment_method != PaymentMethod.BALANCE:
        raise ApplicationError("This order is paid through the gateway.", code="wrong_method")
    if order.status != OrderStatus.PENDING_PAYMENT:
        if order.paid_at is not None:
            return order
        raise ApplicationError(f"Order {order.code} is {order.status}.", code="not_payable")
    order = order_transition_locked(
        order, to=OrderStatus.PAID, message="Paid from wallet", data=None, actor=None
    )
    wallet_debit_for_order(order=order, actor=actor, discount=order_promotion_discount(order))
    return order


@transaction.atomic
def order_mark_paid(
    *, order: Order, amount: Decimal, gateway_reference: str = "", data: dict | None = None
) -> Order:
    """The gateway reports a payment. The money is recorded in the ledger exactly once
    (key `order:<code>:payment`); the order becomes `paid` when the amount matches and it
    was awaiting payment, otherwise `needs_review`. A repeated report changes nothing."""
    order = order_lock(order)
    if order.payment_method != PaymentMethod.GATEWAY:
        raise ApplicationError("This order is paid from a wallet.", code="wrong_method")
    if order.amount_received is not None:
        return order
    amount = Decimal(amount)
    if amount <= 0:
        return order_flag_review(
            order=order,
            message=f"The gateway reported a payment of {format_money(amount, order.currency)}.",
            data=data,
        )
    wallet_record_gateway_payment(
        order=order, amount=amount, discount=order_promotion_discount(order)
    )
    fields = {"amount_received": amount, "gateway_reference": gateway_reference}
    if order.status == OrderStatus.PENDING_PAYMENT and amount == order.price:
        order = order_transition(
            order=order,
            to=OrderStatus.PAID,
            message="Paid through the gateway",
            data=data,
            **fields,
        )
        order_notify_paid(order)
        return order
    problem = (
        f"received {format_money(amount, order.currency)} for a price of "
        f"{format_money(order.price, order.currency)}"
        if amount != order.price
        else f"payment arrived while the order was {order.status}"
    )
    return order_flag_review(
        order=order, message=f"Payment needs review: {problem}.", data=data, **fields
    )


# The events' words for staff; code finds the events by their kind.
GATEWAY_REFUND_EVENT = "The gateway reports this payment refunded"
GATEWAY_REFUNDED_EVENT = "Refunded through the gateway"


def _tell_staff_of_gateway_refund(order: Order, data: dict) -> None:
    """A refund at the gateway the shop did not ask for (the order delivered, or refunded
    to a wallet already): recorded on the order and told to staff, once."""
    if order.events.filter(kind=OrderEventKind.GATEWAY_REFUND_REPORTED).exists():
        return  # (a unique constraint keeps it once, too)
    order_note(
        order=order,
        kind=OrderEventKind.GATEWAY_REFUND_REPORTED,
        message=GATEWAY_REFUND_EVENT,
        data=data,
        staff_title=f"Order {order.code} was refunded at the gateway while {order.status}",
        staff_message="Check that the buyer is not refunded twice, or has the goods and the money.",
        level=NotificationLevel.ERROR,
    )


@transaction.atomic
def order_apply_gateway_payment(
    *, order: Order, callback: PaymentCallback, via: str = "callback"
) -> Order:
    """A gateway's payment report for an order (Tripay or the sandbox): its callback, or
    its answer to a status check (`via`, kept in the event data).

    PAID marks the order paid when the amount matches the price (as the total the buyer
    paid, or as what reached us after the gateway's fee), else `needs_review`; EXPIRED
    and FAILED close an unpaid order; REFUND marks a failed guest order refunded, and in any
    other state tells staff (the shop never asked for it). A repeat changes nothing."""
    order = order_lock(order)
    data = {"gateway": callback.raw, "via": str(via)}
    if callback.status == PaymentStatus.PAID:
        matches = order.price in (callback.total_amount, callback.amount_received)
        return order_mark_paid(
            order=order,
            amount=order.price if matches else (callback.total_amount or Decimal("0")),
            gateway_reference=callback.reference,
            data=data,
        )
    if order.status != OrderStatus.PENDING_PAYMENT:
        if callback.status == PaymentStatus.REFUND and order.status == OrderStatus.FAILED:
            return order_transition(
                order=order,
                to=OrderStatus.REFUNDED,
                message=GATEWAY_REFUNDED_EVENT,
                kind=OrderEventKind.GATEWAY_REFUNDED,
                data=data,
                refund_note="Refunded through the payment gateway.",
            )
        refunded_by_this_gateway = order.events.filter(
            kind=OrderEventKind.GATEWAY_REFUNDED, to_status=OrderStatus.REFUNDED
        ).exists()
        if callback.status == PaymentStatus.REFUND and not refunded_by_this_gateway:
            _tell_staff_of_gateway_refund(order, data)  # the shop did not ask for this one
        return order
    closed = (
        OrderStatus.EXPIRED if callback.status == PaymentStatus.EXPIRED else OrderStatus.CANCELLED
    )
    if callback.status in (PaymentStatus.EXPIRED, PaymentStatus.FAILED):
        return order_transition(
            order=order, to=closed, message=f"Payment {callback.status.lower()}", data=data
        )
    return order
