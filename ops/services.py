"""What staff do from the admin, as services: each one checks the state it needs, moves
orders only through `order_transition` (orders.services.transitions, and the services built
on it) and money only through `wallets.services`, and records who did it.

Permissions are checked by the admin views that call these; the rules here hold for
everyone, superusers included.
"""

import logging
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from ops.models import MessageResend, VoucherReveal, WebhookBodyReveal
from ops.tasks import catalog_sync_provider
from orders.models import Order, OrderEvent, OrderStatus, Voucher
from orders.pipeline import order_poll_soon
from orders.services.attempts import order_book_delivery
from orders.services.notifications import (
    buyer_language,
    order_notify_buyer,  # the one buyer e-mail (codes, reason, link); resent as is
    order_notify_delivered,
)
from orders.services.refunds import order_fail_and_refund
from orders.services.transitions import order_lock, order_note, order_transition
from providers.base import FailureKind, ProviderError
from providers.registry import UnknownProvider, get_adapter
from providers.services import provider_record_balance
from shop.errors import ApplicationError
from shop.messaging.outbox import message_resend
from shop.models import NotificationLevel, OutboundMessage
from shop.money import format_money
from wallets.models import Transfer, TransferReason
from wallets.selectors import order_money
from wallets.services import (
    sales_wallet_for,
    wallet_for_user,
    wallet_move,
    wallet_refund_order,
)
from wallets.transfer_keys import OrderTransferKind, order_transfer_key
from webhooks.models import DeliveryOutcome, WebhookDelivery
from webhooks.processing import delivery_process
from webhooks.protocol import WebhookRejected

logger = logging.getLogger(__name__)


def _refused(message: str, code: str = "not_allowed") -> ApplicationError:
    return ApplicationError(message, code=code)


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise _refused("A reason is required.", "reason_required")
    return reason.strip()


def _has_transfer(order: Order, kind: OrderTransferKind) -> bool:
    key = order_transfer_key(order_code=order.code, kind=kind)
    return Transfer.objects.filter(idempotency_key=key).exists()


# --- Orders ----------------------------------------------------------------------------------


@transaction.atomic
def ops_order_retry_placement(*, order: Order, actor) -> Order:
    """Place a `needs_review` order again (same reference, so the provider dedupes): only
    when its money is with us (paid, not refunded) and nothing was delivered. A worker
    looks it up at the provider after commit and places it only if the provider never got
    it (`order_place`)."""
    order = order_lock(order)
    if order.status != OrderStatus.NEEDS_REVIEW:
        raise _refused(f"Only an order in review can be placed again (this one is {order.status}).")
    if (
        order.paid_at is None
        or order.refunded_at is not None
        or _has_transfer(order, OrderTransferKind.REFUND)
    ):
        raise _refused("This order was never paid or was refunded: it cannot be placed again.")
    if order.vouchers.exists() or order.completed_at is not None:
        raise _refused("The provider already delivered this order: deliver it instead.")
    return order_transition(
        order=order,
        to=OrderStatus.PAID,
        message=f"Placement retried by {actor}",
        actor=actor,
        # It may have reached the provider before: looked up first (order_place), with a
        # new pending window and poll budget.
        needs_verification=True,
        first_requested_at=None,
        deadline_at=None,
        next_poll_at=None,
        poll_count=0,
        poll_claim="",
    )


@transaction.atomic
def ops_order_check_status(*, order: Order, actor) -> bool:
    """Queue a status check of an order waiting on its provider (processing, or in review
    past its deadline): one claimed poll sent to a worker after commit (`order_poll_soon`,
    the path the schedule and callbacks use), whose answer is applied like any poll's.
    Returns False when a poll is already in flight (its answer is on the way); nothing
    calls the provider inside the request."""
    order = order_lock(order)
    if not order.waits_on_provider:
        raise _refused(
            f"Only an order waiting on its provider can be checked (this one is {order.status})."
        )
    try:
        get_adapter(order.provider_code)
    except UnknownProvider:
        raise _refused(f"{order.provider_code} is not a known provider.") from None
    except ProviderError as exc:
        raise _refused(f"{order.provider_code}: {exc.message}") from None
    queued = order_poll_soon(order=order)
    if queued:
        _record_staff_action(order, f"Status check queued by {actor}", actor=actor)
    return queued


@transaction.atomic
def ops_order_fail_and_refund(*, order: Order, actor, reason: str) -> Order:
    """Staff fail a paid or processing order and refund it through `order_fail_and_refund`
    (a signed-in buyer's wallet at once, exactly once). For a failed guest order it records
    that staff refunded the payment outside the shop (gateway or bank) and ends `refunded`."""
    reason = _require_reason(reason)
    order = order_lock(order)
    if order.status in (OrderStatus.PAID, OrderStatus.PROCESSING):
        return order_fail_and_refund(
            order=order, reason=f"{reason} (staff)", kind=FailureKind.STAFF, actor=actor
        )
    if order.status == OrderStatus.FAILED:
        if order.refunds_to_wallet:
            return order_fail_and_refund(order=order, reason=reason, actor=actor)
        return order_transition(
            order=order,
            to=OrderStatus.REFUNDED,
            message=f"Guest refunded outside the shop: {reason}",
            actor=actor,
            refund_note="Refunded by staff through the payment gateway or a bank transfer.",
        )
    raise _refused(f"An order that is {order.status} cannot be failed and refunded.")


@transaction.atomic
def ops_order_resolve_deliver(*, order: Order, actor, reason: str) -> Order:
    """Resolve a review by delivering: the order ends `success`. When the buyer's wallet was
    already refunded, what it was refunded is taken back first (key `order:<code>:redebit`;
    refused if the wallet cannot pay it). A guest refunded outside the shop cannot be
    charged again, and an order whose every code the provider revoked has nothing to
    deliver."""
    reason = _require_reason(reason)
    order = order_lock(order)
    if order.status != OrderStatus.NEEDS_REVIEW:
        raise _refused(f"Only an order in review can be resolved (this one is {order.status}).")
    if not order.vouchers.exists() and order.provider_status != "SUCCESS":
        raise _refused("The provider has not reported this order delivered: nothing to deliver.")
    if order.vouchers.exists() and not order.vouchers.filter(revoked_at__isnull=True).exists():
        raise _refused("The provider revoked this order's codes: there is nothing to deliver.")
    _, refunded = order_money(order=order)
    if refunded is not None:
        wallet_move(
            source=wallet_for_user(user=order.user, currency=order.currency),
            target=sales_wallet_for(order_code=order.code, currency=order.currency),
            amount=refunded,
            reason=TransferReason.PURCHASE,
            reference=order.code,
            idempotency_key=order_transfer_key(
                order_code=order.code, kind=OrderTransferKind.REDEBIT
            ),
            actor=actor,
            memo=f"Delivered after refund: {reason}",
        )
    elif order.refunded_at is not None:
        raise _refused("This guest was refunded outside the shop: keep the order refunded.")
    order = order_transition(
        order=order,
        to=OrderStatus.SUCCESS,
        message=f"Review resolved, delivered: {reason}",
        actor=actor,
        refund_note="",
        needs_verification=False,
        next_poll_at=None,
    )
    order_book_delivery(order=order)  # the current attempt delivered: its cost booked once
    order_notify_delivered(order)
    return order


@transaction.atomic
def ops_order_resolve_refund(*, order: Order, actor, reason: str) -> Order:
    """Resolve a review by keeping (or making) the order refunded. A signed-in buyer gets
    back what the ledger says reached us (the wallet debit or the gateway payment, which
    may differ from the price), never more, exactly once (`order:<code>:refund`; an
    earlier refund is kept as it is); a guest is marked refunded outside the shop."""
    reason = _require_reason(reason)
    order = order_lock(order)
    if order.status != OrderStatus.NEEDS_REVIEW:
        raise _refused(f"Only an order in review can be resolved (this one is {order.status}).")
    paid, refunded = order_money(order=order)
    if order.refunds_to_wallet and refunded is None and paid:
        wallet_refund_order(order=order, actor=actor, memo=reason, amount=paid)
        refunded = paid
    with buyer_language(order):  # the note is the buyer's: their language and money format
        if refunded is not None:
            note = gettext("Refunded to your wallet: %(amount)s.") % {
                "amount": format_money(refunded, order.currency)
            }
        elif paid and not order.refunds_to_wallet:
            note = gettext(
                "Refunded by staff through the payment gateway or a bank transfer "
                "(%(amount)s received)."
            ) % {"amount": format_money(paid, order.currency)}
        else:
            note = gettext("No payment reached the shop; nothing to refund.")
    return order_transition(
        order=order,
        to=OrderStatus.REFUNDED,
        message=f"Review resolved, kept refunded: {reason}",
        actor=actor,
        refund_note=note,
    )


@transaction.atomic
def ops_order_resend_email(*, order: Order, actor) -> Order:
    """Send the buyer's e-mail again (codes on success, reason and refund on failure); an
    OrderEvent without a move records who did it."""
    order = order_lock(order)
    if order.status not in (OrderStatus.SUCCESS, OrderStatus.FAILED, OrderStatus.REFUNDED):
        raise _refused("Only a finished order's e-mail can be resent.")
    title, level = _RESEND_TITLES[order.status]
    # translated into the buyer's language there; a key of its own: a resend is a new message
    order_notify_buyer(
        order, title, level, event_key=f"order:{order.code}:resend:{uuid.uuid4().hex}"
    )
    _record_staff_action(order, f"Buyer e-mail resent by {actor}", actor=actor)
    return order


# The titles the first e-mail of each final state had (msgids of the buyer's catalog).
_RESEND_TITLES = {
    OrderStatus.SUCCESS: (gettext_noop("Your order is complete"), NotificationLevel.SUCCESS),
    OrderStatus.FAILED: (gettext_noop("Your order failed"), NotificationLevel.ERROR),
    OrderStatus.REFUNDED: (
        gettext_noop("Your order failed and was refunded"),
        NotificationLevel.ERROR,
    ),
}


def _record_staff_action(order: Order, message: str, *, actor) -> OrderEvent:
    """An OrderEvent that moves nothing: the order's history says which staff member did what."""
    return order_note(order=order, message=message, actor=actor)


def ops_voucher_reveal(*, voucher: Voucher, staff, remote_addr: str | None = None) -> Voucher:
    """Record that `staff` saw this voucher's code and PIN, then return it."""
    VoucherReveal.objects.create(voucher=voucher, staff=staff, remote_addr=remote_addr or None)
    return voucher


def ops_webhook_body_reveal(
    *, delivery: WebhookDelivery, staff, remote_addr: str | None = None
) -> str:
    """Record that `staff` saw this delivery's raw body, then return it."""
    WebhookBodyReveal.objects.create(
        delivery=delivery, staff=staff, remote_addr=remote_addr or None
    )
    return delivery.body_text


# --- Providers -------------------------------------------------------------------------------


def ops_provider_check_balance(*, code: str):
    """Read the provider's balance now and store it (threshold alerts as the schedule does)."""
    try:
        adapter = get_adapter(code)
    except UnknownProvider:
        raise _refused(f"{code} is not an upstream provider with a balance.") from None
    except ProviderError as exc:
        raise _refused(f"{code}: {exc.message}") from None
    if not adapter.reports_balance:
        raise _refused(f"{code} has no balance endpoint.")
    try:
        balance = adapter.get_balance()
    except ProviderError as exc:
        raise _refused(f"Balance check of {code} failed: {exc.message}") from None
    return provider_record_balance(code=code, balance=balance)


def ops_provider_sync_catalog(*, provider_id: int) -> None:
    """Queue a catalog sync of one provider (after commit); its SyncRun shows when done."""
    transaction.on_commit(lambda: catalog_sync_provider.delay(provider_id), robust=True)


# --- Messages ------------------------------------------------------------------------------


@transaction.atomic
def ops_message_resend(*, message: OutboundMessage, actor) -> OutboundMessage:
    """Send a failed message again (back to queued, sent after commit) and record who did it
    (MessageResend). A message that is not failed is refused: it is sent, or being sent."""
    message = message_resend(message=message)  # locked and read fresh: its error stays
    MessageResend.objects.create(message=message, staff=actor, error_before=message.last_error)
    return message


# --- Webhooks --------------------------------------------------------------------------------


def ops_webhook_reapply(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Process a delivery that failed on our side again (`delivery_process`, on the stored
    body and headers: nothing is verified or signed again). Only a FAILED delivery whose
    signature verified when it arrived may be re-applied; the row is locked while it runs and
    its outcome updated, so a second re-apply is refused, and processing changes nothing for
    an update already applied."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.outcome != DeliveryOutcome.FAILED:
            raise _refused(
                f"Only a delivery that failed on our side can be re-applied "
                f"(this one is {delivery.outcome})."
            )
        if delivery.signature_valid is not True:
            raise _refused("This delivery's signature never verified: it cannot be re-applied.")
        stamp = f"[re-applied by {actor} at {timezone.now():%Y-%m-%d %H:%M}]"
        try:
            with transaction.atomic():
                handled = delivery_process(delivery)
        except WebhookRejected as rejected:
            outcome, note, order = DeliveryOutcome.REJECTED, rejected.message, None
        except Exception as exc:  # still our fault: keep it failed, with the new error
            logger.exception("re-applying webhook delivery #%s failed", delivery.pk)
            outcome, note, order = DeliveryOutcome.FAILED, f"{type(exc).__name__}: {exc}", None
        else:
            outcome, note, order = handled.outcome, handled.note, handled.order
            delivery.reference = (handled.reference or delivery.reference)[:100]
            delivery.wager_code = (handled.wager_code or delivery.wager_code)[:100]
        delivery.outcome = outcome
        delivery.error = f"{stamp} {note}".strip()[:2000] + (
            f"\nbefore: {delivery.error}"[:1000] if delivery.error else ""
        )
        delivery.order = order or delivery.order
        delivery.processed_at = timezone.now()
        delivery.save(
            update_fields=["outcome", "error", "order", "reference", "wager_code", "processed_at"]
        )
    return delivery
