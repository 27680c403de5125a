from decimal import Decimal

import pytest

from orders.checkout import checkout_create
from orders.models import PaymentMethod
from orders.purchase import Purchase
from orders.services.payments import order_mark_paid
from orders.services.provider_updates import order_apply_provider_update
from orders.services.refunds import order_fail_and_refund
from providers.base import ProviderResult, ProviderStatus, VoucherData
from tests.orders.fixtures import fund, make_user
from tests.storefront.support import GAME_ZONE_INPUT, ML5_RETAIL

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest_gateway_order(storefront, settings):
    _, ml5, _ = storefront
    return checkout_create(
        purchase=Purchase(
            product=ml5,
            customer_data=GAME_ZONE_INPUT,
            payment_method=PaymentMethod.GATEWAY,
            guest_email="guest@example.com",
        )
    )


def status_url(order, token=None) -> str:
    return f"/orders/{order.code}/status/" + (f"?t={token}" if token is not None else "")


def test_the_pending_order_shows_its_payment_instructions_and_polls(client, guest_gateway_order):
    order = guest_gateway_order

    page = client.get(f"/orders/{order.code}/", {"t": order.access_token}).content.decode()

    assert order.payment_instructions["checkout_url"] in page
    assert "Rp 1,495" in page
    assert 'hx-trigger="every 3s"' in page
    assert f'hx-get="/orders/{order.code}/status/?t={order.access_token}"' in page
    assert "htmx.min.js" in page


def test_the_status_part_needs_the_token_too(client, guest_gateway_order):
    order = guest_gateway_order

    assert client.get(status_url(order, order.access_token)).status_code == 200
    assert client.get(status_url(order)).status_code == 404
    assert client.get(status_url(order, "x" * 43)).status_code == 404


def test_another_users_order_is_a_404_page_and_part(client, storefront, placement_deferred):
    _, ml5, _ = storefront
    owner = make_user("owner")
    fund(owner, Decimal("5000"))
    order = checkout_create(
        purchase=Purchase(
            product=ml5, customer_data=GAME_ZONE_INPUT, payment_method="balance", user=owner
        )
    )
    client.force_login(make_user("other"))

    assert client.get(f"/orders/{order.code}/").status_code == 404
    assert client.get(status_url(order)).status_code == 404
    client.force_login(owner)
    assert client.get(status_url(order)).status_code == 200


def test_on_success_the_codes_show_with_copy_buttons_and_polling_stops(
    client, guest_gateway_order, placement_deferred, django_capture_on_commit_callbacks
):
    order = order_mark_paid(order=guest_gateway_order, amount=ML5_RETAIL)
    with django_capture_on_commit_callbacks(execute=False):
        order_apply_provider_update(
            order=order,
            result=ProviderResult(
                status=ProviderStatus.SUCCESS, vouchers=[VoucherData(serial="SN-12345", pin="999")]
            ),
        )

    part = client.get(status_url(order, order.access_token)).content.decode()

    assert 'data-status="success"' in part
    assert 'data-copy="SN-12345"' in part
    assert 'data-copy="999"' in part
    assert "hx-trigger" not in part


def test_a_guests_failure_shows_the_shops_reason_and_the_refund_note(
    client, guest_gateway_order, placement_deferred
):
    order = order_mark_paid(order=guest_gateway_order, amount=ML5_RETAIL)
    order = order_fail_and_refund(
        order=order, reason="Nomor tujuan salah", failure=ProviderResult(ProviderStatus.FAILED)
    )

    part = client.get(status_url(order, order.access_token)).content.decode()

    assert "Nomor tujuan salah" not in part  # the provider's words are for staff
    assert "The supplier could not complete this order." in part
    assert "staff will refund your payment" in part
    assert "hx-trigger" not in part


def test_a_signed_in_buyers_failure_says_the_wallet_was_refunded(
    client, storefront, placement_deferred
):
    _, ml5, _ = storefront
    buyer = make_user("buyer")
    fund(buyer, Decimal("5000"))
    order = checkout_create(
        purchase=Purchase(
            product=ml5, customer_data=GAME_ZONE_INPUT, payment_method="balance", user=buyer
        )
    )
    order = order_fail_and_refund(
        order=order, reason="Provider refused", failure=ProviderResult(ProviderStatus.FAILED)
    )
    client.force_login(buyer)

    part = client.get(status_url(order)).content.decode()

    assert "Provider refused" not in part
    assert "The supplier could not complete this order." in part
    assert "Rp 1,495 was refunded to your wallet." in part
