"""A signed-in buyer chooses where order messages go (accounts/message_channel.py): a
WhatsApp number becomes theirs only with the code sent there; then their codes go there,
and nowhere else."""

import re

import pytest
from django.core import mail

from orders.models import PaymentMethod
from orders.purchase import Purchase
from orders.services.creation import order_create
from orders.services.payments import order_mark_paid
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, VoucherData
from tests.orders.fixtures import GAME_INPUT, PRICE
from tests.shop.messaging_support import whatsapp_inbox

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/account/messages/"
NUMBER = "+6281234567833"


def code_sent_to(number: str) -> str:
    (message,) = [
        m for m in whatsapp_inbox(number) if m.payload["template"]["name"] == "phone_verification"
    ][-1:]
    return re.search(r"\b(\d{6})\b", message.text).group(1)


def test_a_number_is_verified_with_the_code_sent_there(client, customer, simulators):
    client.force_login(customer)

    client.post(URL, {"action": "send_code", "whatsapp_number": "0812 3456 7833"})
    customer.refresh_from_db()
    assert customer.whatsapp_verified_at is None  # not before the code comes back
    assert "+6281234567833" in client.get(URL).content.decode()

    client.post(URL, {"action": "confirm", "code": code_sent_to(NUMBER)})

    customer.refresh_from_db()
    assert (customer.whatsapp_number, customer.notify_channel) == (NUMBER, "whatsapp")
    assert customer.whatsapp_verified_at is not None


def test_a_wrong_code_verifies_nothing_and_five_drop_it(client, customer, simulators):
    client.force_login(customer)
    client.post(URL, {"action": "send_code", "whatsapp_number": NUMBER})
    right = code_sent_to(NUMBER)
    wrong = "000000" if right != "000000" else "111111"

    for _ in range(5):
        client.post(URL, {"action": "confirm", "code": wrong})
    client.post(URL, {"action": "confirm", "code": right})

    customer.refresh_from_db()
    assert customer.whatsapp_verified_at is None
    assert customer.notify_channel == "email"


def test_whatsapp_cannot_be_chosen_before_a_number_is_verified(client, customer):
    client.force_login(customer)

    client.post(URL, {"action": "channel", "channel": "whatsapp"})

    customer.refresh_from_db()
    assert customer.notify_channel == "email"


def test_a_bad_number_is_refused_with_a_message(client, customer):
    client.force_login(customer)

    page = client.post(URL, {"action": "send_code", "whatsapp_number": "12345"}, follow=True)

    assert "Enter an Indonesian mobile number" in page.content.decode()
    assert whatsapp_inbox() == []


def test_a_verified_buyer_gets_the_codes_on_whatsapp_only(
    client, customer, product, simulators, placement_deferred
):
    client.force_login(customer)
    client.post(URL, {"action": "send_code", "whatsapp_number": NUMBER})
    client.post(URL, {"action": "confirm", "code": code_sent_to(NUMBER)})
    customer.refresh_from_db()
    order = order_create(
        purchase=Purchase(
            product=product,
            user=customer,
            customer_data=GAME_INPUT,
            payment_method=PaymentMethod.GATEWAY,
        )
    )
    order = order_mark_paid(order=order, amount=PRICE)
    mail.outbox.clear()

    order_apply_provider_update(
        order=order,
        result=ProviderResult(status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="WA-1")]),
    )

    delivered = [
        m for m in whatsapp_inbox(NUMBER) if m.payload["template"]["name"] == "order_delivered"
    ]
    assert len(delivered) == 1
    assert "WA-1" in delivered[0].text
    assert mail.outbox == []
