"""Postpaid bills (docs/bills.md): inquire, show the bill with every part of its price, pay
it once.

- `bill_inquire` asks the provider for the bill under a fresh order code (its `ref_id`) and
  stores an order in `inquired`: amount, the provider's admin fee and our fee fixed, the
  inquiry lapsing at the provider's cut-off (the end of the day in Asia/Jakarta, less
  `BILL_CUTOFF_MARGIN`). A partial unique index keeps one open bill order (inquired or
  awaiting payment) per (product, customer number); a bill paid today is not inquired again.
- `bill_confirm` pays it: from the wallet (paid at once, the debit keyed by the order) or
  through the gateway (`pending_payment`, then the gateway's callback). Confirming twice
  pays once: the order row is locked and only `inquired` moves.
- Paid, the order goes through the pipeline like any other: the provider's adapter pays
  the bill with the same reference, and a pending payment is never refunded by the clock.
"""

import re
import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from catalog.bill_fees import bill_service_fee
from catalog.models import Product
from catalog.services.pricing import product_unavailable_reason
from orders.checkout import order_start_gateway_payment
from orders.models import (
    OPEN_BILL_STATUSES,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderKind,
    OrderStatus,
    PaymentMethod,
)
from orders.services.creation import _new_order_code
from orders.services.transitions import order_lock, order_transition_locked
from providers.base import FinalProviderError, ProviderError
from providers.bills import BillInquiry, get_bill_adapter
from shop.errors import ApplicationError
from shop.models import PriceTier
from shop.money import quantize
from wallets.services import wallet_debit_for_order

PROVIDER_DAY = ZoneInfo("Asia/Jakarta")  # Digiflazz pays a bill only on its inquiry's date
BILL_CUTOFF_MARGIN = timedelta(minutes=10)
CUSTOMER_NO = re.compile(r"^\d{6,20}$")
# A bill order that took the money: the bill is not inquired again the same day.
PAID_BILL_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.PROCESSING,
    OrderStatus.SUCCESS,
    OrderStatus.NEEDS_REVIEW,
)


def bill_cutoff(now: datetime) -> datetime:
    """When an inquiry made at `now` lapses: the end of its day at the provider, less the
    margin."""
    day = now.astimezone(PROVIDER_DAY).date()
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PROVIDER_DAY)
    return midnight - BILL_CUTOFF_MARGIN


def _provider_day_start(now: datetime) -> datetime:
    day = now.astimezone(PROVIDER_DAY).date()
    return datetime.combine(day, time(0), tzinfo=PROVIDER_DAY)


def bill_customer_no(value: str) -> str:
    """The customer number as providers take it (digits only); ApplicationError
    `invalid_input` otherwise."""
    number = re.sub(r"[\s.-]", "", value or "")
    if not CUSTOMER_NO.match(number):
        raise ApplicationError(
            gettext_noop("Please correct the customer number."),
            code="invalid_input",
            extra={"fields": {"customer_no": ["Enter 6 to 20 digits."]}},
        )
    return number


def _same_buyer(order: Order, *, user, guest_email: str) -> bool:
    if user is not None:
        return order.user_id == user.pk
    return order.user_id is None and order.guest_email.lower() == guest_email.lower()


def bill_inquire(*, product: Product, customer_no: str, user=None, guest_email: str = "") -> Order:
    """The bill of `customer_no` for `product` (a bill type) as an `inquired` order.

    The same buyer asking again gets their open inquiry (or today's paid order of this
    bill) back; another buyer's unconfirmed inquiry is cancelled and replaced; a bill
    awaiting someone's payment (`bill_being_paid`) or paid today by someone else
    (`bill_already_paid`) is refused. The provider saying there is nothing to pay is
    `no_bill`; a provider that cannot answer now is `provider_unavailable`. Two concurrent
    inquiries of one bill make one order (the partial unique index)."""
    if not product.is_bill or product_unavailable_reason(product):
        raise ApplicationError(
            gettext_noop("This bill cannot be paid here right now."), code="not_for_sale"
        )
    if user is None and not guest_email:
        raise ApplicationError(
            gettext_noop("Guests must give an e-mail address."), code="email_required"
        )
    number = bill_customer_no(customer_no)
    tier = user.price_tier if user is not None else PriceTier.RETAIL
    fee = bill_service_fee(product=product, tier=tier)
    if fee is None:
        raise ApplicationError(
            gettext_noop("This bill cannot be paid here right now."), code="not_for_sale"
        )
    now = timezone.now()
    earlier = _earlier_order(
        product=product, number=number, user=user, guest_email=guest_email, now=now
    )
    if earlier is not None:
        return earlier
    if bill_cutoff(now) <= now:
        raise ApplicationError(
            gettext_noop(
                "Bills cannot be paid in the last minutes of the day. "
                "Please try again after midnight."
            ),
            code="provider_cutoff",
        )
    code = _new_order_code()
    try:
        inquiry = get_bill_adapter(product.provider.code).inquire(
            sku=product.provider_sku, customer_no=number, reference=code
        )
    except FinalProviderError:
        raise ApplicationError(
            gettext_noop(
                "There is no bill to pay for this number: it is paid already, or the "
                "number is wrong."
            ),
            code="no_bill",
        ) from None
    except ProviderError:
        raise ApplicationError(
            gettext_noop(
                "The biller cannot be reached right now. Please try again in a few minutes."
            ),
            code="provider_unavailable",
        ) from None
    order = _bill_order(
        product=product, inquiry=inquiry, number=number, user=user, guest_email=guest_email,
        tier=tier, fee=fee, code=code, now=now,
    )  # fmt: skip
    try:
        with transaction.atomic():
            order.save(force_insert=True)
            OrderEvent.objects.create(
                order=order,
                kind=OrderEventKind.CREATED,
                to_status=OrderStatus.INQUIRED,
                message="Bill inquired",
                data={"bill": order.bill},
                actor=user,
            )
    except IntegrityError:  # a concurrent inquiry of this bill won
        earlier = _earlier_order(
            product=product, number=number, user=user, guest_email=guest_email, now=now
        )
        if earlier is not None:
            return earlier
        raise _being_paid() from None
    return order


def _being_paid() -> ApplicationError:
    return ApplicationError(
        gettext_noop("This bill is being paid right now. Please check it again later."),
        code="bill_being_paid",
    )


def _earlier_order(*, product, number, user, guest_email, now) -> Order | None:
    """This buyer's open or paid-today order of the bill; raises when another buyer's
    blocks it; cancels another buyer's unconfirmed (or lapsed) inquiry."""
    bills = Order.objects.filter(kind=OrderKind.BILL, product=product, customer_no=number)
    paid_today = bills.filter(
        status__in=PAID_BILL_STATUSES, created_at__gte=_provider_day_start(now)
    ).first()
    if paid_today is not None:
        if _same_buyer(paid_today, user=user, guest_email=guest_email):
            return paid_today
        raise ApplicationError(
            gettext_noop("This bill was paid today already."), code="bill_already_paid"
        )
    open_order = bills.filter(status__in=OPEN_BILL_STATUSES).first()
    if open_order is None:
        return None
    lapsed = open_order.inquiry_expires_at <= now
    if not lapsed and _same_buyer(open_order, user=user, guest_email=guest_email):
        return open_order
    if open_order.status == OrderStatus.INQUIRED:
        with transaction.atomic():
            locked = order_lock(open_order)
            if locked.status == OrderStatus.INQUIRED:
                order_transition_locked(
                    locked,
                    to=OrderStatus.EXPIRED if lapsed else OrderStatus.CANCELLED,
                    message="Inquiry lapsed" if lapsed else "Replaced by a new inquiry",
                    data=None,
                    actor=None,
                )
                return None
    raise _being_paid()


def _bill_order(*, product, inquiry: BillInquiry, number, user, guest_email, tier, fee, code, now):
    rate = product.provider.exchange_rate
    bill_amount = quantize(inquiry.bill_amount * rate)
    admin_fee = quantize(inquiry.admin_fee * rate)
    return Order(
        code=code,
        kind=OrderKind.BILL,
        status=OrderStatus.INQUIRED,
        user=user,
        guest_email="" if user is not None else guest_email,
        access_token=secrets.token_urlsafe(32),
        product=product,
        product_name=product.name,
        provider_code=product.provider.code,
        provider_sku=product.provider_sku,
        price_tier=tier,
        customer_data={"customer_no": number},
        customer_no=number,
        bill_amount=bill_amount,
        bill_admin_fee=admin_fee,
        bill_service_fee=fee,
        bill=inquiry.as_json(),
        inquiry_expires_at=bill_cutoff(now),
        price=bill_amount + admin_fee + fee,
        cost=quantize(inquiry.cost * rate),
        currency=settings.SHOP_CURRENCY,
        payment_method="",
        language=translation.get_language() or "",
        created_at=now,
    )


def bill_confirm(*, order: Order, payment_method: str, user=None, channel: str = "") -> Order:
    """The buyer confirms the bill they were shown and pays its price.

    Wallet (the order's own signed-in buyer): `paid` and the wallet debited (key
    `order:<code>:debit`) in one transaction; too little balance leaves it `inquired`
    (`insufficient_balance`). Gateway: `pending_payment` (expiring no later than the
    inquiry), then the gateway payment is created once. A lapsed inquiry becomes `expired`
    (`inquiry_expired`). Confirming an order that already left `inquired` changes nothing
    and returns it: a double click or a concurrent confirm pays once."""
    if payment_method not in (PaymentMethod.BALANCE, PaymentMethod.GATEWAY):
        raise ApplicationError(gettext_noop("Choose how to pay."), code="invalid_payment_method")
    if payment_method == PaymentMethod.BALANCE and (user is None or order.user_id != user.pk):
        raise ApplicationError(
            gettext_noop("Log in to pay from your wallet."), code="login_required"
        )
    expired = False
    with transaction.atomic():
        order = order_lock(order)
        if order.kind != OrderKind.BILL:
            raise ApplicationError(gettext_noop("This order is not a bill."), code="not_a_bill")
        if order.status != OrderStatus.INQUIRED:
            return order
        now = timezone.now()
        if order.inquiry_expires_at <= now:
            order_transition_locked(
                order, to=OrderStatus.EXPIRED, message="Inquiry lapsed", data=None, actor=None
            )
            expired = True
        elif payment_method == PaymentMethod.BALANCE:
            order = order_transition_locked(
                order,
                to=OrderStatus.PAID,
                message="Paid from wallet",
                data=None,
                actor=user,
                payment_method=PaymentMethod.BALANCE,
            )
            wallet_debit_for_order(order=order, actor=user)
            return order
        else:
            payment_expires_at = min(
                now + timedelta(minutes=settings.ORDER_PAYMENT_MINUTES), order.inquiry_expires_at
            )
            order = order_transition_locked(
                order,
                to=OrderStatus.PENDING_PAYMENT,
                message="Confirmed: awaiting the gateway payment",
                data=None,
                actor=user,
                payment_method=PaymentMethod.GATEWAY,
                payment_expires_at=payment_expires_at,
            )
    if expired:
        raise ApplicationError(
            gettext_noop("This bill's inquiry has lapsed. Please check the bill again."),
            code="inquiry_expired",
        )
    return order_start_gateway_payment(order=order, channel=channel)


def bills_expire_inquiries(*, now: datetime | None = None) -> int:
    """Inquiries past their cut-off: `expired` (nothing was paid). Returns how many."""
    now = now or timezone.now()
    expired = 0
    due = Order.objects.filter(status=OrderStatus.INQUIRED, inquiry_expires_at__lte=now)
    for order_id in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            order = order_lock(Order(pk=order_id))
            if order.status == OrderStatus.INQUIRED and order.inquiry_expires_at <= now:
                order_transition_locked(
                    order, to=OrderStatus.EXPIRED, message="Inquiry lapsed", data=None, actor=None
                )
                expired += 1
    return expired
