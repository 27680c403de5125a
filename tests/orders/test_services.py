import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from orders.models import Order, OrderStatus, PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create, order_create_paid_from_wallet
from orders.services.payments import order_mark_paid, order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from orders.services.refunds import order_fail_and_refund
from providers.base import ProviderResult, ProviderStatus, VoucherData
from shop.errors import ApplicationError
from shop.models import Notification
from tests.catalog.factories import ProductFactory
from tests.orders.fixtures import GAME_INPUT, PRICE, RESELLER_PRICE, balance_of, fund
from wallets.models import Transfer

pytestmark = pytest.mark.django_db

SUCCESS = ProviderResult(
    status=ProviderStatus.SUCCESS,
    provider_order_id="P-1",
    vouchers=[VoucherData(code="CODE-1", pin="1234", serial="SN-1")],
    message="Delivered",
)
FAILED = ProviderResult(status=ProviderStatus.FAILED, message="Out of stock", rc="68")
PENDING = ProviderResult(status=ProviderStatus.PENDING, provider_order_id="P-1")
UNKNOWN = ProviderResult(status=ProviderStatus.UNKNOWN, message="read timeout")


def paid(order: Order) -> Order:
    return order_pay_with_balance(order=order)


# --- order_create ---------------------------------------------------------------------------


def test_order_is_priced_at_the_buyers_tier_with_a_snapshot(balance_order, product, reseller):
    order = balance_order

    assert re.fullmatch(r"TRX-\d{8}-[0-9A-HJKMNP-TV-Z]{6}", order.code)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.price == RESELLER_PRICE
    assert order.cost == Decimal("10000.00")
    assert (order.product_name, order.provider_sku, order.provider_code) == (
        product.name,
        product.provider_sku,
        product.provider.code,
    )
    assert order.customer_no == "12345678"
    assert len(order.access_token) >= 40
    assert order.events.get().to_status == OrderStatus.PENDING_PAYMENT


def test_guests_pay_the_retail_price(guest_order):
    assert guest_order.price == PRICE
    assert guest_order.user is None
    assert guest_order.payment_expires_at > timezone.now()


def test_a_product_not_for_sale_is_refused(product, reseller):
    product.admin_active = False
    product.save()

    with pytest.raises(ApplicationError) as refused:
        order_create(
            purchase=Purchase(
                product=product, user=reseller, customer_data=GAME_INPUT, payment_method="balance"
            )
        )

    assert refused.value.code == "not_for_sale"
    assert refused.value.message == "This item is not for sale right now."  # no reasons
    assert not Order.objects.exists()


def test_bad_account_details_are_refused_per_field(product, reseller):
    with pytest.raises(ApplicationError) as refused:
        order_create(
            purchase=Purchase(
                product=product,
                user=reseller,
                customer_data={"user_id": "abc"},
                payment_method="balance",
            )
        )

    assert refused.value.code == "invalid_input"
    assert set(refused.value.extra["fields"]) == {"user_id"}
    assert not Order.objects.exists()


def test_guests_need_an_email_and_cannot_pay_from_a_wallet(product):
    with pytest.raises(ApplicationError) as no_email:
        order_create(
            purchase=Purchase(product=product, customer_data=GAME_INPUT, payment_method="gateway")
        )
    with pytest.raises(ApplicationError) as no_login:
        order_create(
            purchase=Purchase(
                product=product,
                guest_email="g@example.com",
                customer_data=GAME_INPUT,
                payment_method="balance",
            )
        )

    assert no_email.value.code == "contact_required"
    assert no_login.value.code == "login_required"


def test_a_guest_cannot_buy_from_a_wallet_in_one_step_either(product):
    with pytest.raises(ApplicationError) as no_login, transaction.atomic():  # as callers do
        order_create_paid_from_wallet(
            purchase=Purchase(
                product=product, customer_data=GAME_INPUT, payment_method="balance", user=None
            )
        )

    assert no_login.value.code == "login_required"
    assert not Order.objects.exists()


def test_flexible_amounts_are_priced_and_checked_against_the_range(product, reseller):
    flexible = ProductFactory(flexible=True, brand=product.brand)

    order = order_create(
        purchase=Purchase(
            product=flexible,
            user=reseller,
            customer_data=GAME_INPUT,
            payment_method="balance",
            amount=Decimal("100000"),
        )
    )
    with pytest.raises(ApplicationError) as refused:
        order_create(
            purchase=Purchase(
                product=flexible,
                user=reseller,
                customer_data=GAME_INPUT,
                payment_method="balance",
                amount=Decimal("5"),
            )
        )

    assert order.cost == Decimal("95000.00")
    assert order.price == Decimal("96900.00")  # 95,000 + 2%
    # the rule every door shares (catalog.amounts), naming the field
    assert refused.value.code == "invalid_input"
    assert refused.value.extra == {
        "fields": {"amount": ["Enter an amount from Rp 10,000 to Rp 1,000,000."]}
    }


# --- paying ---------------------------------------------------------------------------------


def test_paying_from_the_wallet_debits_once_and_moves_to_paid(balance_order, reseller):
    order = paid(balance_order)
    again = order_pay_with_balance(order=order)

    assert again.status == OrderStatus.PAID
    assert balance_of(reseller) == Decimal("50000") - RESELLER_PRICE
    assert Transfer.objects.filter(idempotency_key=f"order:{order.code}:debit").count() == 1


def test_too_little_balance_is_a_clear_error_and_leaves_the_order_unpaid(product, reseller):
    fund(reseller, Decimal("100"))
    order = order_create(
        purchase=Purchase(
            product=product, user=reseller, customer_data=GAME_INPUT, payment_method="balance"
        )
    )

    with pytest.raises(ApplicationError) as refused:
        order_pay_with_balance(order=order)

    assert refused.value.code == "insufficient_balance"
    assert refused.value.extra["balance"] == "100.00"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert balance_of(reseller) == Decimal("100")
    assert not Transfer.objects.filter(reference=order.code).exists()


def test_gateway_payment_of_the_right_amount_marks_paid_once(guest_order):
    order = order_mark_paid(order=guest_order, amount=PRICE, gateway_reference="T-1")
    again = order_mark_paid(order=order, amount=PRICE, gateway_reference="T-1")

    assert again.status == OrderStatus.PAID
    assert again.amount_received == PRICE
    assert Transfer.objects.filter(idempotency_key=f"order:{order.code}:payment").count() == 1
    assert order.events.filter(to_status=OrderStatus.PAID).count() == 1


def test_gateway_payment_of_another_amount_needs_review(guest_order):
    order = order_mark_paid(order=guest_order, amount=Decimal("1000"))

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert "received Rp 1,000 for a price of Rp 10,500" in order.events.last().message
    assert Notification.objects.filter(user=None, title__contains=order.code).exists()


def test_payment_after_expiry_needs_review(guest_order):
    Order.objects.filter(pk=guest_order.pk).update(status=OrderStatus.EXPIRED)

    order = order_mark_paid(order=guest_order, amount=PRICE)

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert "while the order was expired" in order.events.last().message


# --- provider updates ------------------------------------------------------------------------


def test_success_stores_vouchers_once_and_notifies_the_buyer(balance_order, reseller):
    order = paid(balance_order)

    order = order_apply_provider_update(order=order, result=SUCCESS)
    order_apply_provider_update(order=order, result=SUCCESS)

    assert order.status == OrderStatus.SUCCESS
    assert order.provider_order_id == "P-1"
    assert list(order.vouchers.values_list("code", "pin", "serial")) == [("CODE-1", "1234", "SN-1")]
    assert order.events.filter(to_status=OrderStatus.SUCCESS).count() == 1
    assert Notification.objects.filter(user=reseller, title__contains="complete").count() == 1


def test_pending_schedules_the_first_poll_and_the_deadline(balance_order):
    before = timezone.now()
    order = order_apply_provider_update(order=paid(balance_order), result=PENDING)

    assert order.status == OrderStatus.PROCESSING
    assert order.next_poll_at - before >= timedelta(minutes=1)
    assert order.deadline_at - order.first_requested_at == timedelta(minutes=15)
    assert order.needs_verification is False


def test_failure_refunds_the_wallet_exactly_once(balance_order, reseller):
    order = order_apply_provider_update(order=paid(balance_order), result=PENDING)

    order = order_apply_provider_update(order=order, result=FAILED)
    order_apply_provider_update(order=order, result=FAILED)
    order_fail_and_refund(order=order, reason="again", failure=FAILED)

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.failure_reason == "Out of stock"
    assert order.provider_rc == "68"
    assert balance_of(reseller) == Decimal("50000")
    assert Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund").count() == 1


@pytest.mark.parametrize(
    "failure", [None, PENDING, UNKNOWN], ids=["the clock", "pending", "unknown"]
)
def test_nothing_but_a_final_failure_or_a_person_refunds(balance_order, reseller, failure):
    order = order_apply_provider_update(order=paid(balance_order), result=PENDING)

    with pytest.raises(ApplicationError) as refused:
        order_fail_and_refund(order=order, reason="deadline passed", failure=failure)

    assert refused.value.code == "refund_not_allowed"
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING
    assert balance_of(reseller) == Decimal("50000") - RESELLER_PRICE
    assert not Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund").exists()


def test_a_person_may_refund_an_order_the_provider_has_not_settled(balance_order, reseller):
    order = order_apply_provider_update(order=paid(balance_order), result=PENDING)

    order = order_fail_and_refund(order=order, reason="buyer asked", actor=reseller)

    assert order.status == OrderStatus.REFUNDED
    assert balance_of(reseller) == Decimal("50000")


def test_unknown_outcome_waits_for_verification_and_refunds_nothing(balance_order, reseller):
    order = order_apply_provider_update(order=paid(balance_order), result=UNKNOWN)

    assert order.status == OrderStatus.PROCESSING
    assert order.needs_verification is True
    assert balance_of(reseller) == Decimal("50000") - RESELLER_PRICE
    assert not Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund").exists()


def test_success_after_refund_goes_to_review_without_a_second_movement(balance_order, reseller):
    order = order_apply_provider_update(order=paid(balance_order), result=FAILED)

    order = order_apply_provider_update(order=order, result=SUCCESS)

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.vouchers.count() == 1  # kept for the person who reviews
    assert balance_of(reseller) == Decimal("50000")
    assert Transfer.objects.filter(reference=order.code).count() == 2  # debit, refund


def test_a_stale_pending_changes_nothing_after_success(balance_order):
    order = order_apply_provider_update(order=paid(balance_order), result=SUCCESS)
    events = order.events.count()

    order = order_apply_provider_update(order=order, result=PENDING)

    assert order.status == OrderStatus.SUCCESS
    assert order.events.count() == events


REVERSED = ProviderResult(
    status=ProviderStatus.FAILED,
    message="Hubble reports this order REVERSED",
    rc="REVERSED",
    revokes_delivery=True,
)


def test_a_plain_failure_after_success_changes_nothing(balance_order):
    order = order_apply_provider_update(order=paid(balance_order), result=SUCCESS)

    order = order_apply_provider_update(order=order, result=FAILED)

    assert order.status == OrderStatus.SUCCESS
    assert not order.vouchers.filter(revoked_at__isnull=False).exists()


def test_a_reversal_before_delivery_goes_to_review_and_refunds_nothing(balance_order, reseller):
    order = order_apply_provider_update(order=paid(balance_order), result=PENDING)

    order = order_apply_provider_update(order=order, result=REVERSED)

    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.next_poll_at is None
    assert balance_of(reseller) == Decimal("50000") - RESELLER_PRICE
    assert not Transfer.objects.filter(idempotency_key=f"order:{order.code}:refund").exists()


def test_a_reversal_of_an_order_in_review_marks_its_codes_and_tells_staff_once(
    balance_order, reseller
):
    order = order_apply_provider_update(order=paid(balance_order), result=FAILED)
    order = order_apply_provider_update(order=order, result=SUCCESS)  # late: in review
    assert order.status == OrderStatus.NEEDS_REVIEW
    money = Transfer.objects.filter(reference=order.code).count()

    for _ in range(2):
        order = order_apply_provider_update(order=order, result=REVERSED)

    assert order.status == OrderStatus.NEEDS_REVIEW
    [voucher] = order.vouchers.all()
    assert voucher.is_revoked
    assert "REVERSED" in voucher.revoked_reason
    told = Notification.objects.filter(user=None, title__contains="its codes were revoked")
    assert told.count() == 1
    assert order.events.filter(message__contains="REVERSED").count() == 1
    assert Transfer.objects.filter(reference=order.code).count() == money


def test_a_guest_failure_stays_failed_with_a_refund_note_and_an_email(
    guest_order, django_capture_on_commit_callbacks
):
    order = order_mark_paid(order=guest_order, amount=PRICE)

    with django_capture_on_commit_callbacks(execute=True):
        order = order_apply_provider_update(order=order, result=FAILED)

    assert order.status == OrderStatus.FAILED
    assert order.refund_note.startswith("Refund pending")
    assert [message.to for message in mail.outbox] == [["guest@example.com"]]
    assert "failed" in mail.outbox[0].subject
    assert Notification.objects.filter(user=None, title__contains="Guest refund").count() == 1


def test_a_signed_in_gateway_buyer_is_refunded_to_the_wallet(product, customer):
    order = order_create(
        purchase=Purchase(
            product=product,
            user=customer,
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.GATEWAY,
        )
    )
    order = order_mark_paid(order=order, amount=PRICE)

    order = order_apply_provider_update(order=order, result=FAILED)

    assert order.status == OrderStatus.REFUNDED
    assert balance_of(customer) == PRICE
