"""Asking the gateway before a gateway payment is given up on: a payment is expired only
after the gateway said so (the money rule, docs/architecture.md), so a paid order whose
callback was lost (the shop down through all of Tripay's retries) is paid, not expired.

- `orders_expire_unpaid` (every minute, from `orders.pipeline`): orders past their payment
  time. A wallet order simply expires; a gateway order is asked about first.
- `gateway_payments_to_check` (the sweep, every few minutes): gateway orders awaiting
  payment and gateway deposits pending, older than SWEEP_AFTER, are asked about (one
  `order_payment_check` / `deposit_payment_check` task each).

What the gateway answers (`GatewayAdapter.payment_status`, Tripay's `transaction/detail`):
- PAID, EXPIRED, FAILED: applied by `gateway_report_apply`, the callback's own path and
  ledger key, so a callback arriving later or at the same time changes nothing more;
- UNPAID (or REFUND, which left no money with the shop): nothing, until the gateway's own
  expiry (its `expired_time`) has passed by UNPAID_GRACE and the shop's too; then the
  order expires (the deposit is rejected). An UNPAID answer naming no expiry counts the
  shop's expiry in its place only when the shop sent it to the gateway at creation
  (`GatewayAdapter.takes_shop_expiry`: Tripay's `expired_time`, so the gateway closes the
  payment then); otherwise the payment could still be paid, and the order waits (the
  dashboard lists it) - a deposit, whose expiry the shop never sends, waits likewise;
- no answer (timeout, 5xx, an unreadable reply, a refusal, no gateway configured): nothing
  changes; it is asked again next time (the dashboard lists orders waiting past their time).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from orders.checkout import checkout_gateway_code
from orders.gateway_payments import ReportOutcome, ReportVia, gateway_report_apply
from orders.models import Order, OrderStatus, PaymentMethod
from orders.services.transitions import order_lock, order_transition
from providers.base import PaymentCallback, PaymentStatus, ProviderError, TransientProviderError
from providers.registry import UnknownProvider, get_gateway
from wallets.models import Deposit, DepositMethod, DepositStatus
from wallets.services import deposit_gateway_reference, deposit_reject

logger = logging.getLogger(__name__)

# A gateway payment this old without a callback is asked about by the sweep.
SWEEP_AFTER = timedelta(minutes=5)
# UNPAID this long after the gateway's own expiry: the gateway's clock and ours may differ.
UNPAID_GRACE = timedelta(minutes=5)
# The most payments of each kind one sweep asks about (oldest first).
SWEEP_BATCH = 500
SETTLED_BY_GATEWAY = frozenset({PaymentStatus.PAID, PaymentStatus.EXPIRED, PaymentStatus.FAILED})


class CannotAsk(Exception):
    """The gateway could not be asked or gave no usable answer: conclude nothing.
    `gateway_down` when it did not answer at all (timeout, connection, 5xx, 408, 429), as
    opposed to an answer about this one payment that cannot be used."""

    def __init__(self, message: str, *, gateway_down: bool = False):
        super().__init__(message)
        self.gateway_down = gateway_down


def _gateway_down(exc: Exception) -> bool:
    code = getattr(exc, "code", "")
    return isinstance(exc, TransientProviderError) and (
        code in ("timeout", "connection_error") or code.startswith("http_")
    )


def payment_status_at_gateway(
    *, gateway_code: str, reference: str, merchant_ref: str
) -> PaymentCallback:
    """The gateway's answer about its payment `reference` made for `merchant_ref`;
    CannotAsk for anything else (no answer, or an answer about another payment)."""
    try:
        report = get_gateway(gateway_code or checkout_gateway_code()).payment_status(
            reference=reference
        )
    except (ProviderError, UnknownProvider) as exc:
        logger.warning("could not ask the gateway about %s (%s): %s", merchant_ref, reference, exc)
        raise CannotAsk(str(exc), gateway_down=_gateway_down(exc)) from exc
    except Exception as exc:  # a bug or a broken reply must never expire a payment
        logger.exception("asking the gateway about %s (%s) failed", merchant_ref, reference)
        raise CannotAsk(str(exc)) from exc
    if report.merchant_ref != merchant_ref:
        logger.error("the gateway's %s is %r's payment, not %s", reference, report, merchant_ref)
        raise CannotAsk(f"{reference} is not the payment of {merchant_ref}")
    return report


def orders_expire_unpaid() -> int:
    """Orders still awaiting payment after their payment time: wallet orders become
    `expired`; gateway orders are asked about first (`order_payment_check`). Once a
    gateway does not answer at all, its other orders wait for the next run (it is down:
    each ask would wait out the timeouts); an unusable answer about one payment does not
    hold the others up, and neither does an error while checking or applying it (logged;
    that order is tried again next run). Returns how many orders expired."""
    now = timezone.now()
    due = (
        Order.objects.filter(status=OrderStatus.PENDING_PAYMENT, payment_expires_at__lte=now)
        .order_by("payment_expires_at", "pk")
        .values_list("pk", "payment_method", "payment_gateway")
    )
    unreachable: set[str] = set()
    expired = 0
    for order_id, method, gateway in due:
        if method == PaymentMethod.GATEWAY and (gateway or checkout_gateway_code()) in unreachable:
            continue
        try:
            if method != PaymentMethod.GATEWAY:
                expired += int(_order_expire(order_id, message="Payment expired"))
                continue
            order = order_payment_check(order_id=order_id)
        except CannotAsk as exc:
            if exc.gateway_down:
                unreachable.add(gateway or checkout_gateway_code())
            continue
        except Exception:  # a bug or an answer that cannot be applied: this order only
            logger.exception("checking the payment of order %s failed", _order_code(order_id))
            continue
        if order is not None and order.status == OrderStatus.EXPIRED:
            expired += 1
    return expired


def order_payment_check(*, order_id: int) -> Order | None:
    """Ask the gateway about a gateway order still awaiting payment and act on the answer
    (module docstring). Returns the order, or None when it no longer awaits payment.
    Raises CannotAsk (nothing changed) when the gateway cannot be asked."""
    order = Order.objects.filter(
        pk=order_id, status=OrderStatus.PENDING_PAYMENT, payment_method=PaymentMethod.GATEWAY
    ).first()
    if order is None:
        return None
    if not order.gateway_reference:
        # The gateway never gave a payment for it (the checkout stopped before): nothing
        # can have been paid, and there is nothing to ask about.
        if _past(order.payment_expires_at):
            _order_expire(order.pk, message="Payment expired (no gateway payment was made)")
        return _fresh(order)
    report = payment_status_at_gateway(
        gateway_code=order.payment_gateway,
        reference=order.gateway_reference,
        merchant_ref=order.code,
    )
    if report.status in SETTLED_BY_GATEWAY:
        gateway_report_apply(report=report, via=ReportVia.STATUS_CHECK)
        return _fresh(order)
    if _unpaid_past_expiry(
        report,
        shop_expiry=order.payment_expires_at,
        shop_expiry_sent=_gateway_takes_shop_expiry(order.payment_gateway),
    ):
        _order_expire(
            order.pk,
            message=f"Payment expired: the gateway still says {report.status.value} after its "
            f"expiry ({_when(report.expires_at or order.payment_expires_at)})",
            data={"gateway": report.raw, "via": ReportVia.STATUS_CHECK.value},
        )
    return _fresh(order)


def deposit_payment_check(*, deposit_id: int) -> Deposit | None:
    """Ask the gateway about a pending gateway deposit and act on the answer (module
    docstring): PAID credits it once, EXPIRED/FAILED or UNPAID past the gateway's expiry
    reject it. Returns the deposit, or None when it is no longer pending. Raises CannotAsk
    (nothing changed) when the gateway cannot be asked."""
    deposit = Deposit.objects.filter(
        pk=deposit_id, status=DepositStatus.PENDING, method=DepositMethod.GATEWAY
    ).first()
    if deposit is None or not deposit.gateway_reference:
        return deposit
    report = payment_status_at_gateway(
        gateway_code=deposit.payment_gateway,
        reference=deposit.gateway_reference,
        merchant_ref=deposit_gateway_reference(deposit),
    )
    if report.status in SETTLED_BY_GATEWAY:
        applied = gateway_report_apply(report=report, via=ReportVia.STATUS_CHECK)
        if applied.outcome != ReportOutcome.WRONG_REFERENCE:
            return applied.deposit
    elif _unpaid_past_expiry(report, shop_expiry=None, shop_expiry_sent=False):
        _deposit_expire(
            deposit.pk, note=f"Unpaid at the gateway after its expiry ({_when(report.expires_at)})"
        )
    return Deposit.objects.get(pk=deposit.pk)


@dataclass(frozen=True)
class PaymentsToCheck:
    order_ids: list[int]
    deposit_ids: list[int]


def gateway_payments_to_check() -> PaymentsToCheck:
    """The sweep's list: gateway orders awaiting payment and pending gateway deposits that
    have a gateway reference and are older than SWEEP_AFTER (still waiting, so no callback
    settled them). Orders past their payment time are left to `orders_expire_unpaid`."""
    now = timezone.now()
    orders = (
        Order.objects.filter(
            status=OrderStatus.PENDING_PAYMENT,
            payment_method=PaymentMethod.GATEWAY,
            created_at__lte=now - SWEEP_AFTER,
            payment_expires_at__gt=now,
        )
        .exclude(gateway_reference="")
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    deposits = (
        Deposit.objects.filter(
            status=DepositStatus.PENDING,
            method=DepositMethod.GATEWAY,
            created_at__lte=now - SWEEP_AFTER,
        )
        .exclude(gateway_reference="")
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return PaymentsToCheck(order_ids=list(orders), deposit_ids=list(deposits))


def _unpaid_past_expiry(
    report: PaymentCallback, *, shop_expiry: datetime | None, shop_expiry_sent: bool
) -> bool:
    """UNPAID (or REFUND: no money stayed) and past both clocks by the grace: the payment
    can no longer be made. Without the gateway's expiry, the shop's stands in for it only
    if the gateway was sent it (`shop_expiry_sent`); otherwise the wait never ends here."""
    gateway_expiry = report.expires_at or (shop_expiry if shop_expiry_sent else None)
    if gateway_expiry is None:
        return False
    return _past(gateway_expiry + UNPAID_GRACE) and (shop_expiry is None or _past(shop_expiry))


def _gateway_takes_shop_expiry(gateway_code: str) -> bool:
    try:
        gateway = get_gateway(gateway_code or checkout_gateway_code())
    except UnknownProvider:
        return False
    return gateway.takes_shop_expiry


def _order_expire(order_id: int, *, message: str, data: dict | None = None) -> bool:
    """Expire the order if it still awaits payment (a callback may have paid it meanwhile)."""
    with transaction.atomic():
        order = order_lock(Order(pk=order_id))
        if order.status != OrderStatus.PENDING_PAYMENT:
            return False
        order_transition(order=order, to=OrderStatus.EXPIRED, message=message, data=data)
    return True


def _deposit_expire(deposit_id: int, *, note: str) -> None:
    """Reject the deposit if it is still pending (a callback may have credited it meanwhile)."""
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update().get(pk=deposit_id)
        if deposit.status == DepositStatus.PENDING:
            deposit_reject(deposit=deposit, note=note)


def _past(moment: datetime | None) -> bool:
    return moment is not None and timezone.now() >= moment


def _order_code(order_id: int) -> str:
    return Order.objects.filter(pk=order_id).values_list("code", flat=True).first() or str(order_id)


def _fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z") if moment else "unknown"
