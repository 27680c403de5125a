"""What a buyer is told, on the channel they chose (orders/services/notifications.py):
a guest who gave only a WhatsApp number gets every step there, in their language, the codes
included; a guest with an e-mail keeps the e-mail; codes never reach a staff chat."""

import pytest
from django.core import mail
from django.utils import translation

from orders.models import PaymentMethod
from orders.purchase import Purchase
from orders.selectors import order_public_url
from orders.services.creation import order_create
from orders.services.notifications import order_notify_needs_payment
from orders.services.payments import order_mark_paid
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, VoucherData
from shop.errors import ApplicationError
from shop.models import MessageChannel, MessageState, StaffAlertKind, StaffAlertRoute
from tests.orders.fixtures import GAME_INPUT, PRICE
from tests.shop.messaging_support import outbox, whatsapp_inbox

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+6281234567811"


def phone_order(product, *, language: str = "id", phone: str = "0812-3456-7811"):
    with translation.override(language):
        return order_create(
            purchase=Purchase(
                product=product,
                guest_phone=phone,
                customer_data=GAME_INPUT,
                payment_method=PaymentMethod.GATEWAY,
            )
        )


def test_a_guest_with_only_a_whatsapp_number_hears_every_step_there(
    simulators,
    product,
    placement_deferred,
):
    StaffAlertRoute.objects.create(kind=StaffAlertKind.OTHER, chat_id="-1009911")
    order = phone_order(product)
    assert (order.guest_phone, order.guest_email) == (NUMBER, "")

    order_notify_needs_payment(order)
    order = order_mark_paid(order=order, amount=PRICE)
    order = order_apply_provider_update(
        order=order,
        result=ProviderResult(
            status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="ML-7788", pin="4321")]
        ),
    )

    received = whatsapp_inbox(NUMBER)
    assert [m.payload["template"]["name"] for m in received] == [
        "order_needs_payment",
        "order_paid",
        "order_delivered",
    ]
    assert {m.payload["template"]["language"]["code"] for m in received} == {"id"}
    delivered = received[-1].text
    assert delivered.startswith(f"Pesanan Anda {order.code} selesai")
    assert "Kode ML-7788 · PIN 4321" in delivered
    assert order_public_url(order) in delivered  # the order's own signed link
    assert "Rp 10.500" in received[1].text  # Indonesian money
    assert mail.outbox == []
    assert outbox(channel=MessageChannel.TELEGRAM) == []
    assert all(m.state == MessageState.SENT for m in outbox())


def test_a_failed_order_tells_the_guest_where_the_money_goes(
    simulators,
    product,
    placement_deferred,
):
    order = order_mark_paid(order=phone_order(product, language="en"), amount=PRICE)

    order_apply_provider_update(
        order=order, result=ProviderResult(status=ProviderStatus.FAILED, message="refused")
    )

    (message,) = [m for m in whatsapp_inbox(NUMBER) if "failed" in m.text]
    assert message.payload["template"]["name"] == "order_refunded"
    assert message.text.startswith(f"Your order {order.code} (")
    assert "Refund pending" in message.text


def test_an_e_mail_guest_keeps_the_e_mail(simulators, guest_order, placement_deferred):
    order = order_mark_paid(order=guest_order, amount=PRICE)
    order_apply_provider_update(
        order=order,
        result=ProviderResult(status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="C-1")]),
    )

    assert whatsapp_inbox() == []
    (email,) = mail.outbox
    assert email.to == ["guest@example.com"]
    assert "C-1" in email.body


@pytest.mark.parametrize("phone", ["12345", "+1 415 555 0100", "0212345678"])
def test_a_number_that_is_not_an_indonesian_mobile_is_refused(product, phone):
    with pytest.raises(ApplicationError) as refused:
        phone_order(product, phone=phone)

    assert refused.value.code == "invalid_input"
    assert list(refused.value.extra["fields"]) == ["buyer_whatsapp"]


def test_a_guest_must_leave_a_way_to_reach_them(product):
    with pytest.raises(ApplicationError) as refused:
        phone_order(product, phone="")

    assert refused.value.code == "contact_required"


@pytest.mark.parametrize("typed", ["081234567811", "+62 812-3456-7811", "62812.3456.7811"])
def test_numbers_are_stored_in_e164(product, typed):
    assert phone_order(product, phone=typed).guest_phone == NUMBER
