import pytest
from django.core import mail

from orders.services.payments import order_mark_paid
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, VoucherData
from shop.models import Notification
from tests.orders.fixtures import PRICE, make_user

pytestmark = pytest.mark.django_db

DELIVERED = ProviderResult(
    status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="GIFT-777", pin="4321")]
)


@pytest.fixture
def delivered_guest_order(guest_order, django_capture_on_commit_callbacks):
    order = order_mark_paid(order=guest_order, amount=PRICE)
    with django_capture_on_commit_callbacks(execute=True):
        return order_apply_provider_update(order=order, result=DELIVERED)


def test_the_guest_link_shows_the_codes(client, delivered_guest_order):
    order = delivered_guest_order

    page = client.get(f"/orders/{order.code}/", {"t": order.access_token})

    assert page.status_code == 200
    assert b"GIFT-777" in page.content
    assert b"4321" in page.content


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_without_the_right_token_the_order_does_not_exist(client, delivered_guest_order, token):
    page = client.get(f"/orders/{delivered_guest_order.code}/", {"t": token})

    assert page.status_code == 404
    assert b"GIFT-777" not in page.content


def test_only_the_buyer_sees_a_signed_in_buyers_order_not_even_staff(client, balance_order):
    other = make_user("someone-else")
    staff = make_user("staff")
    staff.is_staff = True
    staff.save()
    url = f"/orders/{balance_order.code}/"

    client.force_login(balance_order.user)
    assert client.get(url).status_code == 200
    client.force_login(other)
    assert client.get(url).status_code == 404
    client.force_login(staff)
    assert client.get(url).status_code == 404  # staff read codes through the audited reveal


@pytest.mark.parametrize("superuser", [False, True])
def test_staff_see_no_codes_on_the_storefront_page_or_its_status_part(
    client, delivered_guest_order, superuser
):
    """Staff read codes only through the admin's audited reveal (VoucherReveal)."""
    staff = make_user("staff")
    staff.is_staff = True
    staff.is_superuser = superuser
    staff.save()
    client.force_login(staff)

    for url in (
        f"/orders/{delivered_guest_order.code}/",
        f"/orders/{delivered_guest_order.code}/status/",
    ):
        page = client.get(url)
        assert page.status_code == 404, url
        assert b"GIFT-777" not in page.content
        assert b"4321" not in page.content


def test_the_success_email_carries_the_codes_and_the_link(delivered_guest_order):
    order = delivered_guest_order

    (message,) = mail.outbox
    assert message.to == ["guest@example.com"]
    assert "Code GIFT-777 · PIN 4321" in message.body
    assert f"/orders/{order.code}/?t={order.access_token}" in message.body
    assert not Notification.objects.filter(title__contains=order.code).exists()  # guests: mail
