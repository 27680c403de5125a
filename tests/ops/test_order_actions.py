"""Every order operation in the admin: it goes through the services, and its permission holds."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from ops.models import VoucherReveal
from orders.models import Order, OrderEvent, OrderStatus
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from orders.services.refunds import order_fail_and_refund
from orders.services.transitions import order_flag_review
from providers.base import ProviderResult, ProviderStatus, VoucherData
from tests.orders.fixtures import RESELLER_PRICE as PRICE
from tests.orders.fixtures import balance_of
from wallets.models import Transfer
from wallets.selectors import ledger_check

pytestmark = pytest.mark.django_db

FUNDED = Decimal("50000")


def operate(client, order, name, reason=None):
    url = reverse("admin:orders_order_operate", args=[order.pk, name])
    data = {"reason": reason} if reason is not None else {"confirm": "True"}
    return client.post(url, data)


@pytest.fixture
def paid_order(balance_order, placement_deferred):
    return order_pay_with_balance(order=balance_order)


@pytest.fixture
def success_after_refund(paid_order):
    """Refunded to the wallet, then the provider reported success: waits for a person."""
    order = order_fail_and_refund(
        order=paid_order,
        reason="provider said failed",
        failure=ProviderResult(ProviderStatus.FAILED),
    )
    result = ProviderResult(status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="C-1")])
    return order_apply_provider_update(order=order, result=result)


def test_finance_fails_and_refunds_a_paid_order_to_the_wallet(finance_client, paid_order, reseller):
    assert balance_of(reseller) == FUNDED - PRICE

    response = operate(finance_client, paid_order, "fail_refund", reason="customer cancelled")

    assert response.status_code == 302
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED
    assert balance_of(reseller) == FUNDED
    assert paid_order.events.filter(actor__username="fin-finance").exists()


def test_fail_and_refund_needs_a_reason_and_changes_nothing_without(finance_client, paid_order):
    response = operate(finance_client, paid_order, "fail_refund", reason="  ")

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID


def test_support_cannot_fail_and_refund(support_client, paid_order, reseller):
    assert operate(support_client, paid_order, "fail_refund", reason="x").status_code == 403
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID
    assert balance_of(reseller) == FUNDED - PRICE


def test_a_guest_failed_order_is_marked_refunded_outside_the_shop(finance_client, guest_order):
    from orders.services.payments import order_mark_paid

    order = order_mark_paid(order=guest_order, amount=guest_order.price)
    order = order_fail_and_refund(
        order=order, reason="provider failed", failure=ProviderResult(ProviderStatus.FAILED)
    )
    assert order.status == OrderStatus.FAILED

    operate(finance_client, order, "fail_refund", reason="refunded by bank transfer 123")

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert "bank transfer" in order.refund_note


def test_support_retries_placement_of_an_order_in_review(support_client, paid_order):
    order = order_flag_review(order=paid_order, message="unknown outcome")

    response = operate(support_client, order, "retry")

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.events.last().actor.username == "sue-support"


def test_retry_is_refused_for_a_refunded_order(admin_client, success_after_refund):
    response = operate(admin_client, success_after_refund, "retry")

    assert response.status_code == 302
    success_after_refund.refresh_from_db()
    assert success_after_refund.status == OrderStatus.NEEDS_REVIEW
    page = admin_client.get(response.url).content.decode()
    assert "cannot be placed again" in page


def test_deliver_after_a_wallet_refund_takes_the_price_back_once(
    finance_client, success_after_refund, reseller
):
    assert balance_of(reseller) == FUNDED

    operate(finance_client, success_after_refund, "deliver", reason="codes work")
    operate(finance_client, success_after_refund, "deliver", reason="double click")

    success_after_refund.refresh_from_db()
    assert success_after_refund.status == OrderStatus.SUCCESS
    assert balance_of(reseller) == FUNDED - PRICE
    assert Transfer.objects.filter(reference=success_after_refund.code).count() == 3
    assert ledger_check().problems == []


def test_support_cannot_deliver_when_that_takes_money(support_client, success_after_refund):
    assert operate(support_client, success_after_refund, "deliver", reason="x").status_code == 403


def test_keep_refunded_leaves_the_money_with_the_buyer(
    finance_client, success_after_refund, reseller
):
    operate(finance_client, success_after_refund, "keep_refunded", reason="codes were void")

    success_after_refund.refresh_from_db()
    assert success_after_refund.status == OrderStatus.REFUNDED
    assert balance_of(reseller) == FUNDED
    refunds = Transfer.objects.filter(idempotency_key__endswith=":refund")
    assert refunds.filter(reference=success_after_refund.code).count() == 1


def test_resend_e_mails_the_buyer_and_records_who(
    support_client, paid_order, django_capture_on_commit_callbacks
):
    order = order_apply_provider_update(
        order=paid_order,
        result=ProviderResult(status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="X")]),
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        operate(support_client, order, "resend")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [order.user.email]
    assert "X" in mail.outbox[0].body
    event = OrderEvent.objects.filter(order=order).last()
    assert event.message.startswith("Buyer e-mail resent")
    assert event.actor.username == "sue-support"


def test_a_resent_e_mail_is_in_the_buyers_language_not_the_staff_members(
    support_client, paid_order, django_capture_on_commit_callbacks
):
    Order.objects.filter(pk=paid_order.pk).update(language="id")
    paid_order.refresh_from_db()
    order = order_apply_provider_update(
        order=paid_order,
        result=ProviderResult(status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="X")]),
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        operate(support_client, order, "resend")

    assert mail.outbox[0].subject.startswith("Pesanan Anda selesai")


def test_check_status_now_is_refused_for_a_provider_without_an_adapter(admin_client, paid_order):
    order = order_apply_provider_update(
        order=paid_order, result=ProviderResult(status=ProviderStatus.PENDING)
    )
    order.refresh_from_db()
    polls = order.poll_count

    response = operate(admin_client, order, "check")

    assert response.status_code == 302
    order.refresh_from_db()
    # The factory's provider has no adapter: refused with a message, nothing called.
    assert order.poll_count == polls
    assert "not a known provider" in admin_client.get(response.url).content.decode()


def test_check_status_is_refused_for_an_order_that_is_not_processing(admin_client, paid_order):
    response = operate(admin_client, paid_order, "check")

    page = admin_client.get(response.url).content.decode()
    assert "Only an order waiting on its provider can be checked" in page


def test_voucher_codes_are_masked_and_each_reveal_is_audited(
    admin_group_client, support_client, paid_order
):
    order = order_apply_provider_update(
        order=paid_order,
        result=ProviderResult(
            status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="SECRET-7", pin="4242")]
        ),
    )
    change = reverse("admin:orders_order_change", args=[order.pk])
    reveal = reverse("admin:orders_order_reveal", args=[order.pk])

    assert b"SECRET-7" not in support_client.get(change).content
    assert support_client.post(reveal).status_code == 403
    assert VoucherReveal.objects.count() == 0

    page = admin_group_client.get(change).content.decode()
    assert "SECRET-7" not in page
    assert "Reveal codes" in page
    assert b"SECRET-7" not in admin_group_client.get(reveal).content
    shown = admin_group_client.post(reveal).content.decode()
    assert "SECRET-7" in shown
    assert "4242" in shown
    assert VoucherReveal.objects.filter(staff__username="ada-admin").count() == 1


def test_the_order_page_shows_events_calls_deliveries_and_only_allowed_buttons(
    support_client, paid_order
):
    page = support_client.get(reverse("admin:orders_order_change", args=[paid_order.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Fail and refund" not in html  # a money action: not offered to support
    assert "Provider calls" in html
    assert "Webhook deliveries" in html
    assert paid_order.code in html


@pytest.fixture(params=["finance", None])
def no_order_rights_client(request, db):
    """Staff without `ops.manage_orders`: the finance group, and staff in no group."""
    from tests.ops.conftest import staff_client

    return staff_client(f"nobody-{request.param or 'none'}", request.param)


def test_retry_is_refused_without_the_order_permission(
    no_order_rights_client, paid_order, django_capture_on_commit_callbacks
):
    order = order_flag_review(order=paid_order, message="unknown outcome")
    events = OrderEvent.objects.filter(order=order).count()

    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = operate(no_order_rights_client, order, "retry")

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert OrderEvent.objects.filter(order=order).count() == events
    assert queued == []  # no placement queued


def test_resend_is_refused_without_the_order_permission(
    no_order_rights_client, paid_order, django_capture_on_commit_callbacks
):
    order = order_apply_provider_update(
        order=paid_order,
        result=ProviderResult(status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="X")]),
    )
    events = OrderEvent.objects.filter(order=order).count()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = operate(no_order_rights_client, order, "resend")

    assert response.status_code == 403
    assert mail.outbox == []
    assert OrderEvent.objects.filter(order=order).count() == events
