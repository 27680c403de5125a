"""Every registered model's admin pages load, and the ledger and orders cannot be deleted."""

from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.urls import reverse

from orders.models import Order, OrderStatus
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus, VoucherData
from wallets.models import BalanceMutation, Transfer, Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered_order(balance_order):
    order = order_pay_with_balance(order=balance_order)
    result = ProviderResult(
        status=ProviderStatus.SUCCESS, vouchers=[VoucherData(code="SECRET-CODE", pin="9876")]
    )
    return order_apply_provider_update(order=order, result=result)


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda model: model._meta.label_lower
)
def test_every_changelist_loads(admin_client, delivered_order, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("model", [Order, Transfer, BalanceMutation, Wallet])
def test_orders_and_the_ledger_cannot_be_deleted_or_edited_in_the_admin(
    admin_client, delivered_order, model
):
    obj = model.objects.first()
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    assert admin_client.get(reverse(f"{info}_change", args=[obj.pk])).status_code == 200
    assert admin_client.post(reverse(f"{info}_delete", args=[obj.pk])).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_an_order_cannot_be_edited_through_the_admin_form(admin_client, delivered_order):
    url = reverse("admin:orders_order_change", args=[delivered_order.pk])

    admin_client.post(url, {"status": OrderStatus.PENDING_PAYMENT, "price": "1"})

    delivered_order.refresh_from_db()
    assert delivered_order.status == OrderStatus.SUCCESS
    assert delivered_order.price != Decimal("1")


def test_voucher_codes_are_not_shown_in_the_order_admin(admin_client, delivered_order):
    page = admin_client.get(reverse("admin:orders_order_change", args=[delivered_order.pk]))

    assert b"SECRET-CODE" not in page.content
    assert b"9876" not in page.content


def test_the_read_only_order_page_offers_no_save_and_refuses_a_post(admin_client, delivered_order):
    url = reverse("admin:orders_order_change", args=[delivered_order.pk])

    page = admin_client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    for button in ('name="_save"', 'name="_continue"', 'name="_addanother"'):
        assert button not in html
    assert admin_client.post(url, {"status": OrderStatus.PENDING_PAYMENT}).status_code == 403
    delivered_order.refresh_from_db()
    assert delivered_order.status == OrderStatus.SUCCESS


@pytest.fixture
def axes_records():
    attempt = {"user_agent": "ua", "ip_address": "192.0.2.1", "username": "x", "path_info": "/"}
    AccessAttempt.objects.create(**attempt, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**attempt)


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda model: model._meta.label_lower
)
def test_a_save_button_only_where_something_can_be_saved(
    admin_client, delivered_order, axes_records, model
):
    obj = model.objects.order_by("pk").first()
    if obj is None:
        pytest.skip("no record of this model in the fixture")
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"

    page = admin_client.get(reverse(f"{info}_change", args=[obj.pk]))

    editable = bool(page.context_data["adminform"].form.fields) or any(
        inline.has_add_permission or inline.has_change_permission
        for inline in page.context_data["inline_admin_formsets"]
    )
    assert ('name="_save"' in page.content.decode()) == editable


def test_the_admin_index_links_the_dashboard_api_docs_and_storefront(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()

    assert 'href="/ops/dashboard/"' in html
    assert 'href="/api/docs/"' in html
    assert 'href="/"' in html
