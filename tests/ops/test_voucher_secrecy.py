"""A PLN token is a Digiflazz serial: support never sees it (voucher inline and list, event
data, provider calls, webhook bodies); staff with the reveal permission see it, audited."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import InputSchema
from ops.models import VoucherReveal, WebhookBodyReveal
from orders.models import OrderEvent, OrderStatus, Voucher
from providers.models import ProviderCall
from tests.ops.conftest import staff_client
from tests.pipeline.support import DIGIFLAZZ, buy, make_product
from tests.webhooks.test_digiflazz import callback_body, deliver, processing_order  # noqa: F401
from webhooks.models import WebhookDelivery

TOKEN = "1234-5678-9012-3456-7890"
SN = f"{TOKEN}/SIMULASI PELANGGAN/R1/1300VA/13.5"


def admin_pages(order, voucher) -> list[str]:
    event = OrderEvent.objects.filter(order=order).last()
    return [
        reverse("admin:orders_order_change", args=[order.pk]),
        reverse("admin:orders_voucher_changelist"),
        reverse("admin:orders_voucher_change", args=[voucher.pk]),
        reverse("admin:orders_orderevent_changelist"),
        reverse("admin:orders_orderevent_change", args=[event.pk]),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_pln_token_placed_at_the_simulator_is_never_shown_to_support(
    sims, pricing, buyer, staff_groups
):
    product = make_product(DIGIFLAZZ, sku="PLN20")
    product.cost = Decimal("20150")  # the simulator's price of PLN20
    product.save()
    product.brand.input_schema = InputSchema.PLN
    product.brand.save()
    order = buy(product, user=buyer, data={"meter_number": "12345678901"})
    assert order.status == OrderStatus.SUCCESS
    voucher = Voucher.objects.get(order=order)
    token = voucher.code
    assert len(token.replace("-", "")) == 20
    assert voucher.serial.startswith(token)
    support = staff_client("sue-support", "support")

    pages = admin_pages(order, voucher)
    pages += [
        reverse("admin:providers_providercall_change", args=[call.pk])
        for call in ProviderCall.objects.filter(reference=order.code)
    ]
    for url in pages:
        response = support.get(url)
        assert response.status_code == 200, url
        assert token not in response.content.decode(), url
    stored = [json.dumps(event.data) for event in OrderEvent.objects.filter(order=order)]
    stored += [call.response_body for call in ProviderCall.objects.filter(reference=order.code)]
    assert not any(token in text for text in stored)
    assert any('"sn": "[redacted]"' in text for text in stored)

    reveal = reverse("admin:orders_order_reveal", args=[order.pk])
    assert support.post(reveal).status_code == 403
    shown = staff_client("ada-admin", "admin").post(reveal).content.decode()
    assert voucher.serial in shown
    assert VoucherReveal.objects.filter(voucher=voucher, staff__username="ada-admin").count() == 1


@pytest.mark.django_db
def test_a_pln_token_in_a_webhook_body_is_shown_raw_only_when_revealed_with_the_permission(
    client,
    processing_order,  # noqa: F811
):
    deliver(client, callback_body(processing_order, sn=SN))
    voucher = Voucher.objects.get(order=processing_order)
    assert voucher.serial == SN
    delivery = WebhookDelivery.objects.get(order=processing_order)
    support = staff_client("sue-support", "support")
    admin = staff_client("ada-admin", "admin")

    for url in admin_pages(processing_order, voucher):
        assert TOKEN not in support.get(url).content.decode(), url
    page = support.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200
    assert TOKEN not in page.content.decode()
    assert "&quot;sn&quot;: &quot;[redacted]&quot;" in page.content.decode()
    assert "buyer_last_saldo" in page.content.decode()  # the rest of the body stays readable

    reveal = reverse("admin:webhooks_webhookdelivery_reveal", args=[delivery.pk])
    assert support.get(reveal).status_code == 403
    assert support.post(reveal).status_code == 403
    page = admin.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert TOKEN not in page.content.decode()  # the page itself never shows it raw
    assert reveal in page.content.decode()
    asked = admin.get(reveal)
    assert asked.status_code == 200
    assert TOKEN not in asked.content.decode()
    assert not WebhookBodyReveal.objects.exists()  # asking is not seeing

    shown = admin.post(reveal)

    assert shown.status_code == 200
    assert TOKEN in shown.content.decode()
    [recorded] = WebhookBodyReveal.objects.all()
    assert (recorded.delivery, recorded.staff.username) == (delivery, "ada-admin")
    assert recorded.remote_addr == "127.0.0.1"


@pytest.mark.django_db
def test_a_buyers_notification_and_a_reseller_callback_show_no_codes_in_the_admin(
    balance_order, placement_deferred, support_client, admin_group_client
):
    """The buyer's notification and the reseller's callback carry the codes (they are the
    buyer's); staff pages show them masked: codes are read through the audited reveal."""
    from orders.services.payments import order_pay_with_balance
    from orders.services.provider_updates import order_apply_provider_update
    from providers.base import ProviderResult, ProviderStatus, VoucherData
    from resellers.models import ApiOrder, CallbackDelivery, ResellerSettings
    from shop.models import Notification

    reseller = balance_order.user
    ResellerSettings.objects.create(
        user=reseller, callback_url="https://reseller.example/cb", secret="whsec_x"
    )
    ApiOrder.objects.create(user=reseller, ref_id="r-1", order=balance_order, fingerprint="f")
    order = order_pay_with_balance(order=balance_order)
    order_apply_provider_update(
        order=order,
        result=ProviderResult(
            status=ProviderStatus.SUCCESS,
            vouchers=[VoucherData(code="GIFT-777-ABC", pin="98765", serial=TOKEN)],
        ),
    )
    notification = Notification.objects.get(user=reseller, data__order=order.code)
    assert "GIFT-777-ABC" in notification.message  # the buyer's own copy
    callback = CallbackDelivery.objects.get(order=order)
    assert "GIFT-777-ABC" in json.dumps(callback.payload)

    pages = {
        support_client: [
            reverse("admin:shop_notification_changelist"),
            reverse("admin:shop_notification_change", args=[notification.pk]),
            reverse("admin:shop_notification_changelist") + "?q=GIFT-777",
        ],
        admin_group_client: [
            reverse("admin:shop_notification_change", args=[notification.pk]),
            reverse("admin:resellers_callbackdelivery_change", args=[callback.pk]),
        ],
    }
    for staff, urls in pages.items():
        for url in urls:
            page = staff.get(url)
            assert page.status_code == 200, url
            text = page.content.decode()
            for secret in ("GIFT-777-ABC", "98765", TOKEN):
                assert secret not in text, (url, secret)
    assert (
        order.code
        in admin_group_client.get(
            reverse("admin:resellers_callbackdelivery_change", args=[callback.pk])
        ).content.decode()
    )
    found = support_client.get(reverse("admin:shop_notification_changelist") + "?q=GIFT-777")
    assert notification.title not in found.content.decode()  # no search by a code either


@pytest.mark.django_db
def test_a_reseller_reply_echoing_the_codes_shows_them_masked_in_the_admin(
    balance_order, placement_deferred, admin_group_client
):
    """A reseller's endpoint may echo the callback back: its reply, stored per attempt, is
    shown with the order's codes masked, like the callback's payload."""
    from orders.services.payments import order_pay_with_balance
    from orders.services.provider_updates import order_apply_provider_update
    from providers.base import ProviderResult, ProviderStatus, VoucherData
    from resellers.models import ApiOrder, CallbackAttempt, CallbackDelivery, ResellerSettings

    reseller = balance_order.user
    ResellerSettings.objects.create(
        user=reseller, callback_url="https://reseller.example/cb", secret="whsec_x"
    )
    ApiOrder.objects.create(user=reseller, ref_id="r-1", order=balance_order, fingerprint="f")
    order = order_pay_with_balance(order=balance_order)
    order_apply_provider_update(
        order=order,
        result=ProviderResult(
            status=ProviderStatus.SUCCESS,
            vouchers=[VoucherData(code="GIFT-777-ABC", pin="98765", serial=TOKEN)],
        ),
    )
    callback = CallbackDelivery.objects.get(order=order)
    attempt = CallbackAttempt.objects.create(
        delivery=callback,
        number=1,
        url="https://reseller.example/cb",
        http_status=500,
        error="HTTP 500: GIFT-777-ABC",
        response_body=f"bad: {json.dumps(callback.payload)}",
    )

    for url in (
        reverse("admin:resellers_callbackattempt_change", args=[attempt.pk]),
        reverse("admin:resellers_callbackdelivery_change", args=[callback.pk]),
    ):
        page = admin_group_client.get(url)
        assert page.status_code == 200, url
        text = page.content.decode()
        for secret in ("GIFT-777-ABC", "98765", TOKEN):
            assert secret not in text, (url, secret)
        assert order.code in text
