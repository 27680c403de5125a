"""Amounts written for people outside templates (checkout refusals, refund notes, e-mails,
notifications) are formatted like the pages: rupiah without decimals, for the language."""

from decimal import Decimal

import pytest
from django.core import mail

from orders.models import Order, OrderStatus, PaymentMethod
from orders.services.refunds import order_fail_and_refund
from providers.base import ProviderResult, ProviderStatus
from shop.models import Notification
from tests.orders.fixtures import balance_of, fund, make_user
from tests.storefront.support import ML5_RESELLER, buy

pytestmark = pytest.mark.django_db


def wallet_purchase(reseller, product) -> dict:
    return {
        "item": product.shop_item_id,
        "user_id": "12345678",
        "zone_id": "1234",
        "payment_method": PaymentMethod.BALANCE,
    }


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Your wallet has Rp 1,000; this costs Rp 1,452. Top up or pay online."),
        ("id", "Dompet Anda berisi Rp 1.000; harganya Rp 1.452. Isi saldo atau bayar online."),
    ],
)
def test_too_little_balance_is_said_with_formatted_amounts(
    client, settings, storefront, language, message
):
    _, ml5, _ = storefront
    reseller = make_user("poor", reseller=True)
    fund(reseller, Decimal("1000"))
    client.force_login(reseller)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = buy(client, wallet_purchase(reseller, ml5))

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [message]
    assert not Order.objects.exists()
    assert balance_of(reseller) == Decimal("1000")


def test_a_refund_note_notification_and_e_mail_show_rupiah_without_decimals(
    client, storefront, placement_deferred, django_capture_on_commit_callbacks
):
    _, ml5, _ = storefront
    reseller = make_user("unlucky", reseller=True)
    fund(reseller, Decimal("50000"))
    client.force_login(reseller)
    buy(client, wallet_purchase(reseller, ml5))
    order = Order.objects.get()
    assert order.price == ML5_RESELLER

    with django_capture_on_commit_callbacks(execute=True):  # the e-mail leaves on commit
        order_fail_and_refund(
            order=order,
            reason="Rejected by the provider",
            failure=ProviderResult(ProviderStatus.FAILED),
        )

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.refund_note == "Refunded to your wallet: Rp 1,452."
    note = Notification.objects.get(user=reseller)
    assert "Refunded to your wallet: Rp 1,452." in note.message
    assert "1452.00" not in note.message
    assert "Refunded to your wallet: Rp 1,452." in mail.outbox[-1].body
    page = client.get("/account/notifications/").content.decode()
    assert "Refunded to your wallet: Rp 1,452." in page
