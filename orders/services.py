"""Every write to an order. One function moves an order: `order_transition`.

Each service runs in one transaction and locks the order row first (`order_qs_for_update`),
so concurrent callbacks, polls and staff actions apply one after the other; a duplicate or
stale update finds the order already moved and changes nothing.
"""

import secrets
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from catalog.amounts import validate_flexible_amount
from catalog.input_schemas import validate_customer_input
from catalog.models import Product
from catalog.services import catalog_price_for
from orders.models import (
    ALLOWED_TRANSITIONS,
    STATUS_TIMESTAMP_FIELDS,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    Voucher,
)
from orders.selectors import order_public_url
from providers.base import (
    DEFAULT_PENDING_RULE,
    FINAL_FAILURES,
    FailureKind,
    PaymentCallback,
    PaymentStatus,
    PendingRule,
    ProviderResult,
    ProviderStatus,
)
from providers.http import ALWAYS_REDACTED, redact
from resellers.callbacks import reseller_order_transitioned
from resellers.models import ApiOrder
from shop.errors import ApplicationError
from shop.models import NotificationLevel, PriceTier
from shop.money import format_money
from shop.notifications import notify
from wallets.services import (
    wallet_debit_for_order,
    wallet_record_gateway_payment,
    wallet_refund_order,
)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
ACTIVE_STATUSES = (OrderStatus.PAID, OrderStatus.PROCESSING)
# An unknown outcome is looked up by reference no sooner than this (a provider in trouble
# is not hammered).
VERIFY_AFTER = timedelta(minutes=2)


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
    **fields,
) -> Order:
    """Move `order` to `to` if the state machine allows it, setting `fields` too, and write
    an OrderEvent. Any other move raises ApplicationError(code="invalid_transition")."""
    return _transition_locked(
        order_lock(order), to=to, message=message, data=data, actor=actor, **fields
    )


def _transition_locked(
    order: Order, *, to: str, message: str, data: dict | None, actor, **fields
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
    now = timezone.now()
    setattr(order, STATUS_TIMESTAMP_FIELDS[to], now)
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=["status", STATUS_TIMESTAMP_FIELDS[to], *fields, "updated_at"])
    if to == OrderStatus.PAID:
        _enqueue_placement(order)
    OrderEvent.objects.create(
        order=order,
        from_status=from_status,
        to_status=to,
        message=message,
        data=data or {},
        actor=actor,
    )
    reseller_order_transitioned(order=order)  # an API order's callback, sent after commit
    return order


def _enqueue_placement(order: Order) -> None:
    """A paid order is placed by a worker once this transaction commits."""
    from orders.tasks import order_place  # the tasks module imports the services

    order_id = order.pk
    # robust: a broker that is down must not undo the payment; the reconciler re-enqueues.
    transaction.on_commit(lambda: order_place.delay(order_id), robust=True)


def _new_order_code() -> str:
    suffix = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"TRX-{timezone.localdate():%Y%m%d}-{suffix}"


class CheckoutTokenTaken(Exception):
    """An order with this checkout token exists: roll the new order's transaction back."""


def order_create(
    *,
    product: Product,
    customer_data: dict,
    payment_method: str,
    user=None,
    guest_email: str = "",
    amount: Decimal | None = None,
    checkout_token: str | None = None,
    shown_price: Decimal | None = None,
) -> Order:
    """Create a `pending_payment` order at the buyer's tier price, fixed from now on.

    Refuses (ApplicationError) a product not for sale, input that fails the brand's schema
    (code `invalid_input`, `extra["fields"]` per field), a balance payment without a
    signed-in buyer, and a guest without an e-mail. A `checkout_token` another order holds
    raises CheckoutTokenTaken (a concurrent holder is waited for on the unique index).
    """
    order = _order_draft(
        product=product,
        customer_data=customer_data,
        payment_method=payment_method,
        user=user,
        guest_email=guest_email,
        amount=amount,
        checkout_token=checkout_token,
        shown_price=shown_price,
    )
    created = OrderEvent(to_status=order.status, message="Order created", actor=user)
    return _order_insert(order, events=[created])


@transaction.atomic(savepoint=False)
def order_create_paid_from_wallet(
    *,
    product: Product,
    customer_data: dict,
    user,
    amount: Decimal | None = None,
    checkout_token: str | None = None,
    shown_price: Decimal | None = None,
    before_debit: Callable[[Order], None] | None = None,
) -> Order:
    """`order_create` and `order_pay_with_balance` in one: the order is stored `paid`, with
    the same two events ("Order created", then "Paid from wallet"), and the buyer's wallet
    is debited last, so its row stays locked only from the debit to the commit (the caller
    writes what else it needs in `before_debit`). Refusals are those of both; any of them
    rolls the caller's whole transaction back."""
    order = _order_draft(
        product=product,
        customer_data=customer_data,
        payment_method=PaymentMethod.BALANCE,
        user=user,
        amount=amount,
        checkout_token=checkout_token,
        shown_price=shown_price,
    )
    order.status = OrderStatus.PAID
    order.created_at = order.paid_at = timezone.now()
    events = [
        OrderEvent(to_status=OrderStatus.PENDING_PAYMENT, message="Order created", actor=user),
        OrderEvent(
            from_status=OrderStatus.PENDING_PAYMENT,
            to_status=OrderStatus.PAID,
            message="Paid from wallet",
        ),
    ]
    order = _order_insert(order, events=events)
    _enqueue_placement(order)
    if before_debit is not None:
        before_debit(order)
    wallet_debit_for_order(order=order, actor=user)
    return order


def order_amount_checked(*, product: Product, amount: Decimal | None) -> Decimal | None:
    """`catalog.amounts.validate_flexible_amount` as a refusal of the order services: the
    same rule and words for the storefront and the reseller API (`invalid_input`, the
    message under `extra["fields"]["amount"]`)."""
    try:
        return validate_flexible_amount(product=product, amount=amount)
    except ValidationError as exc:
        raise ApplicationError(
            gettext_noop("Please correct the amount."),
            code="invalid_input",
            extra={"fields": {"amount": exc.messages}},
        ) from None


def _order_draft(
    *,
    product: Product,
    customer_data: dict,
    payment_method: str,
    user,
    amount: Decimal | None,
    checkout_token: str | None,
    guest_email: str = "",
    shown_price: Decimal | None = None,
) -> Order:
    """The new order, checked and priced, not saved yet (see `order_create`). With
    `shown_price` (what the buyer's page showed), any other price is refused
    (`price_changed`): nobody is charged a price they did not see."""
    if payment_method == PaymentMethod.BALANCE and user is None:
        raise ApplicationError(
            gettext_noop("Log in to pay from your wallet."), code="login_required"
        )
    if user is None and not guest_email:
        raise ApplicationError(
            gettext_noop("Guests must give an e-mail address."), code="email_required"
        )
    amount = order_amount_checked(product=product, amount=amount)
    tier = user.price_tier if user is not None else PriceTier.RETAIL
    quote = catalog_price_for(product=product, tier=tier, amount=amount)
    if not quote.for_sale:
        # Not the reason: it may name our cost and margin.
        raise ApplicationError(
            gettext_noop("This item is not for sale right now."), code="not_for_sale"
        )
    if shown_price is not None and quote.price != shown_price:
        raise ApplicationError(
            gettext_noop(
                "The price has changed since this page was shown. Please check the new price "
                "and order again."
            ),
            code="price_changed",
            extra={"shown": str(shown_price), "price": str(quote.price)},
        )
    try:
        customer = validate_customer_input(schema=product.brand.input_schema, data=customer_data)
    except ValidationError as exc:
        raise ApplicationError(
            gettext_noop("Please correct the account details."),
            code="invalid_input",
            extra={"fields": exc.message_dict},
        ) from None
    return Order(
        user=user,
        guest_email=guest_email,
        access_token=secrets.token_urlsafe(32),
        checkout_token=checkout_token,
        product=product,
        product_name=product.name,
        provider_code=product.provider.code,
        provider_sku=product.provider_sku,
        price_tier=tier,
        customer_data=customer.fields,
        customer_no=customer.customer_no,
        amount=amount,
        price=quote.price,
        cost=quote.cost,
        currency=settings.SHOP_CURRENCY,
        payment_method=payment_method,
        payment_expires_at=timezone.now() + timedelta(minutes=settings.ORDER_PAYMENT_MINUTES),
        language=translation.get_language() or "",
    )


def _order_insert(order: Order, *, events: list[OrderEvent]) -> Order:
    """Save a new order under a fresh code, then its `events` (one INSERT for all)."""
    for _ in range(5):  # a code collision is rare; try a new one
        order.code = _new_order_code()
        try:
            with transaction.atomic():
                order.save(force_insert=True)
                for event in events:
                    event.order = order
                OrderEvent.objects.bulk_create(events)
            return order
        except IntegrityError:
            order.pk = None
            if order.checkout_token and (
                Order.objects.filter(checkout_token=order.checkout_token).exists()
            ):
                raise CheckoutTokenTaken from None
            continue
    raise ApplicationError(
        gettext_noop("Could not allocate an order code; try again."), code="busy"
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
    order = _transition_locked(
        order, to=OrderStatus.PAID, message="Paid from wallet", data=None, actor=None
    )
    wallet_debit_for_order(order=order, actor=actor)
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
    wallet_record_gateway_payment(order=order, amount=amount)
    fields = {"amount_received": amount, "gateway_reference": gateway_reference}
    if order.status == OrderStatus.PENDING_PAYMENT and amount == order.price:
        return order_transition(
            order=order,
            to=OrderStatus.PAID,
            message="Paid through the gateway",
            data=data,
            **fields,
        )
    problem = (
        f"received {format_money(amount, order.currency)} for a price of "
        f"{format_money(order.price, order.currency)}"
        if amount != order.price
        else f"payment arrived while the order was {order.status}"
    )
    return order_flag_review(
        order=order, message=f"Payment needs review: {problem}.", data=data, **fields
    )


@transaction.atomic
def order_flag_review(*, order: Order, message: str, actor=None, data=None, **fields) -> Order:
    """Hand an order to a person: what no rule may settle alone (staff are notified). It is
    polled on only when it waits on its provider (`waiting_on_provider=True`)."""
    if not fields.get("waiting_on_provider"):
        fields.setdefault("next_poll_at", None)
    order = order_transition(
        order=order, to=OrderStatus.NEEDS_REVIEW, message=message, data=data, actor=actor, **fields
    )
    notify(
        title=f"Order {order.code} needs review",
        message=message,
        level=NotificationLevel.WARNING,
        data={"order": order.code},
    )
    return order


@transaction.atomic
def order_apply_provider_update(
    *, order: Order, result: ProviderResult, rule: PendingRule = DEFAULT_PENDING_RULE
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
      VERIFY_AFTER). Past the rule's deadline the order goes to `needs_review` ("still
      pending at <provider> after N minutes", staff told once) and is still asked on the
      slow schedule; after the hard stop polling ends and staff are told (once).
    An update for an order that has already moved past it changes nothing. NOT_FOUND is
    not an update (the pipeline decides what to do with it) and changes nothing here.
    """
    order = order_lock(order)
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
        return _apply_revocation(order, result, provider_fields, data)
    waiting = order.status == OrderStatus.PAID or order.waits_on_provider
    if not waiting or result.status == ProviderStatus.NOT_FOUND:
        return order  # stale: a late pending/failed/unknown for a finished order
    if result.status == ProviderStatus.FAILED:
        _set_fields(order, provider_fields)
        return order_fail_and_refund(
            order=order,
            reason=result.message or "Failed at provider",
            failure=result,
        )
    return _still_waiting(order, result, rule, provider_fields, data)


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
        next_poll_at = max(next_poll_at, now + VERIFY_AFTER)
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
        _set_fields(order, {**provider_fields, **schedule})
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
                f"first request. Check it at the provider by reference {order.code} and "
                "settle it by hand."
            ),
        )
    return order


def _age(order: Order, now) -> str:
    minutes = int((now - order.first_requested_at).total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 180 else f"{minutes // 60} hours"


def _waiting_message(order: Order, result: ProviderResult, rule: PendingRule, now) -> str:
    said = "Still pending" if result.status == ProviderStatus.PENDING else "Outcome unknown"
    until = rule.hard_stop_at(first_requested_at=order.first_requested_at)
    return (
        f"{said} at {order.provider_code} after {_age(order, now)}: not refunded. The shop "
        f"keeps asking until {until:%Y-%m-%d %H:%M %Z}; the provider's final answer settles "
        f"the order (success delivers, a failure refunds). Reference {order.code}."
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
            order=order, message=message, waiting_on_provider=True, next_poll_at=None
        )
    if not order.waits_on_provider:
        return order
    _set_fields(order, {"next_poll_at": None, "poll_claim": ""})
    told = order.events.filter(
        message__startswith=POLLING_STOPPED, created_at__gte=order.review_at
    ).exists()
    if told:
        return order
    OrderEvent.objects.create(
        order=order, from_status=order.status, to_status=order.status, message=message
    )
    notify(
        title=f"Order {order.code}: polling stopped",
        message=message,
        level=NotificationLevel.WARNING,
        data={"order": order.code},
    )
    return order


def _failure_kind(result: ProviderResult) -> FailureKind:
    """The kind of a provider's refusal: the adapter's reading of its code, else
    unavailable when the provider ran out of balance, else the provider's own failure."""
    if result.failure_kind in {kind.value for kind in FailureKind}:
        return FailureKind(result.failure_kind)
    if result.provider_out_of_balance:
        return FailureKind.UNAVAILABLE
    return FailureKind.SUPPLIER


def _set_fields(order: Order, fields: dict) -> None:
    for name, value in fields.items():
        setattr(order, name, value)
    order.save(update_fields=[*fields, "updated_at"])


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
        order_notify_delivered(order)
        return order
    if order.status in (OrderStatus.SUCCESS, OrderStatus.NEEDS_REVIEW):
        return order  # a duplicate success, or one already waiting for a person
    if order.status in (OrderStatus.FAILED, OrderStatus.REFUNDED):
        _store_vouchers(order, result)
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
        _set_fields(order, {"waiting_on_provider": False, "next_poll_at": None})
        order.save(update_fields=["waiting_on_provider", "next_poll_at", "updated_at"])
    if revoked:
        OrderEvent.objects.create(
            order=order, from_status=order.status, to_status=order.status, message=reason, data=data
        )
        notify(
            title=f"Order {order.code}: its codes were revoked while it was {order.status}",
            message=reason,
            level=NotificationLevel.WARNING,
            data={"order": order.code},
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
    if order.status != OrderStatus.FAILED:
        return order
    if not order.refunds_to_wallet:
        if not order.refund_note:
            with buyer_language(order):
                note = gettext(
                    "Refund pending: staff will refund your payment through the gateway "
                    "or a bank transfer."
                )
            _set_fields(order, {"refund_note": note})
            _notify_buyer(order, gettext_lazy("Your order failed"), NotificationLevel.ERROR)
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
    _notify_buyer(
        order, gettext_lazy("Your order failed and was refunded"), NotificationLevel.ERROR
    )
    return order


def buyer_language(order: Order):
    """Write to the buyer in the language they ordered in (the site's default if unknown)."""
    return translation.override(order.language or settings.LANGUAGE_CODE)


def _notify_buyer(order: Order, title: str, level: str) -> None:
    """In-app for signed-in buyers and an e-mail to every buyer, in the buyer's language:
    the codes on success, the reason and where the money went on failure, and the link to
    the order page. `title` is translated when the catalog has it."""
    with buyer_language(order):
        lines = [
            gettext("%(product)s for %(account)s: %(status)s.")
            % {
                "product": order.product_name,
                "account": order.customer_no,
                "status": order.get_status_display(),
            }
        ]
        if order.amount is not None:
            lines.append(
                gettext("Amount: %(amount)s")
                % {"amount": format_money(order.amount, order.product.cost_currency)}
            )
        lines.append(
            gettext("Price: %(price)s") % {"price": format_money(order.price, order.currency)}
        )
        lines.extend(_voucher_lines(order))
        if order.failure_message and order.status != OrderStatus.SUCCESS:
            lines.append(gettext("Reason: %(reason)s") % {"reason": order.failure_message})
        if order.refund_note:
            lines.append(order.refund_note)
        lines.append(gettext("Your order: %(url)s") % {"url": order_public_url(order)})
        title = f"{gettext(str(title))} ({order.code})"
    notify(
        user=order.user,
        email="" if order.user_id else order.guest_email,
        title=title,
        message="\n".join(lines),
        level=level,
        data={"order": order.code},
    )


def order_notify_delivered(order: Order) -> None:
    """Tell the buyer their order is complete (with the codes) and e-mail a gift card to
    its recipient; both leave after commit."""
    _notify_buyer(order, gettext_lazy("Your order is complete"), NotificationLevel.SUCCESS)
    _send_gift_card(order)


def _voucher_lines(order: Order) -> list[str]:
    """One line per delivered code, in the active language."""
    lines = []
    for voucher in order.vouchers.all():
        valid_until = date_format(voucher.expires_on) if voucher.expires_on else ""
        parts = [
            f"{label} {value}"
            for label, value in (
                (gettext("Code"), voucher.code),
                (gettext("PIN"), voucher.pin),
                (gettext("Serial"), voucher.serial),
                (gettext("Valid until"), valid_until),
            )
            if value
        ]
        if voucher.is_revoked:  # taken back by the provider: it no longer works
            parts.insert(0, gettext("Revoked"))
        lines.append(" · ".join(parts))
    return lines


def gift_card_recipient(order: Order) -> str:
    """The address a gift card is for (the `email` its buyer typed), when it is not the
    buyer's own and the order came from the storefront; "" otherwise. A reseller's API
    order is for the reseller's own customer, whom the reseller tells, not the shop."""
    recipient = str(order.customer_data.get("email") or "")
    if not recipient or recipient.casefold() == (order.buyer_email or "").casefold():
        return ""
    if ApiOrder.objects.filter(order=order).exists():
        return ""
    return recipient


def _send_gift_card(order: Order) -> None:
    """A delivered gift card goes to its recipient too, by e-mail (through `notify`, after
    commit), in the language it was bought in: the codes, not the price or the buyer's
    account. Nothing is sent for a card the buyer bought for their own address."""
    recipient = gift_card_recipient(order)
    if not recipient:
        return
    with buyer_language(order):
        title = gettext("Your gift card: %(product)s") % {"product": order.product_name}
        lines = [
            gettext("You have been sent a gift card: %(product)s.")
            % {"product": order.product_name},
            *_voucher_lines(order),
        ]
    notify(email=recipient, title=title, message="\n".join(lines), data={"order": order.code})


GATEWAY_REFUND_EVENT = "The gateway reports this payment refunded"
GATEWAY_REFUNDED_EVENT = "Refunded through the gateway"


def _tell_staff_of_gateway_refund(order: Order, data: dict) -> None:
    """A refund at the gateway the shop did not ask for (the order delivered, or refunded
    to a wallet already): recorded on the order and told to staff, once."""
    if order.events.filter(message=GATEWAY_REFUND_EVENT).exists():
        return
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=order.status,
        message=GATEWAY_REFUND_EVENT,
        data=data,
    )
    notify(
        title=f"Order {order.code} was refunded at the gateway while {order.status}",
        message="Check that the buyer is not refunded twice, or has the goods and the money.",
        level=NotificationLevel.ERROR,
        data={"order": order.code},
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
                data=data,
                refund_note="Refunded through the payment gateway.",
            )
        refunded_by_this_gateway = order.events.filter(
            message=GATEWAY_REFUNDED_EVENT, to_status=OrderStatus.REFUNDED
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
