"""Bills over the reseller API (docs/bills.md): inquire, then pay from the wallet under
the reseller's own `ref_id`. Logic of the bill itself: `orders.bills`."""

import hashlib

from django.db import IntegrityError, transaction

from catalog.models import Product
from orders.bills import bill_confirm, bill_inquire
from orders.models import Order, OrderKind, OrderStatus, PaymentMethod
from orders.services.transitions import order_lock
from resellers.models import ApiOrder
from shop.errors import ApplicationError


def _bill_product(product_id: int) -> Product:
    product = Product.objects.select_related("provider", "brand").filter(pk=product_id).first()
    if product is None or not product.is_bill:
        raise ApplicationError(
            f"There is no bill type {product_id}.",
            code="unknown_product",
            extra={"product_id": product_id},
        )
    return product


def api_bill_inquire(*, user, product_id: int, customer_no: str) -> Order:
    """`bill_inquire` for a reseller: the bill as an `inquired` order (or this reseller's
    open or paid-today order of the same bill)."""
    if not user.is_reseller:
        raise ApplicationError("Only resellers may use the API.", code="not_reseller")
    return bill_inquire(product=_bill_product(product_id), customer_no=customer_no, user=user)


def _fingerprint(inquiry_ref: str) -> str:
    return hashlib.sha256(f"bill:{inquiry_ref}".encode()).hexdigest()


def api_bill_pay(*, user, ref_id: str, inquiry_ref: str) -> tuple[ApiOrder, bool]:
    """Pay the bill inquired as `inquiry_ref` from the wallet, under the reseller's `ref_id`;
    returns the ApiOrder and whether it is new.

    Idempotent by ref_id: the same ref_id and inquiry again (even concurrently: the order
    row is locked first) returns the first payment and charges nothing; another inquiry
    under a used ref_id is `idempotency_conflict`, and a bill already paid under another
    ref_id is `not_payable`. A refusal (too little balance, a lapsed inquiry) rolls back
    everything: the ref_id stays free."""
    if not user.is_reseller:
        raise ApplicationError("Only resellers may use the API.", code="not_reseller")
    fingerprint = _fingerprint(inquiry_ref)
    order = Order.objects.filter(code=inquiry_ref, kind=OrderKind.BILL, user=user).first()
    with transaction.atomic():
        if order is not None:
            order = order_lock(order)
        existing = ApiOrder.objects.select_related("order").filter(user=user, ref_id=ref_id).first()
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise ApplicationError(
                    f"The ref_id {ref_id} was already used for a different order.",
                    code="idempotency_conflict",
                    extra={"ref_id": ref_id},
                )
            return existing, False
        if order is None:
            raise ApplicationError(f"You have no bill inquiry {inquiry_ref}.", code="not_found")
        if order.status != OrderStatus.INQUIRED:
            raise ApplicationError(
                f"The bill {inquiry_ref} is {order.status}: it cannot be paid now.",
                code="not_payable",
                extra={"status": order.status},
            )
        try:
            with transaction.atomic():
                api_order = ApiOrder.objects.create(
                    user=user, ref_id=ref_id, fingerprint=fingerprint, order=order
                )
        except IntegrityError:  # the same ref_id committed by a request that locked first
            raise ApplicationError(
                f"The ref_id {ref_id} was already used.", code="idempotency_conflict"
            ) from None
        api_order.order = bill_confirm(order=order, payment_method=PaymentMethod.BALANCE, user=user)
        if api_order.order.status != OrderStatus.PAID:  # lapsed: nothing was paid
            raise ApplicationError(
                "This bill's inquiry has lapsed. Please check the bill again.",
                code="inquiry_expired",
            )
    return api_order, True
