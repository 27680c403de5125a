"""Webhook re-apply, pricing preview, provider actions and the dashboard."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import PricingRule
from ops.models import ReconciliationRun
from orders.models import OrderStatus
from orders.services.payments import order_pay_with_balance
from orders.services.provider_updates import order_apply_provider_update
from providers.base import ProviderResult, ProviderStatus
from tests.catalog.factories import PricingRuleFactory, ProductFactory, ProviderFactory
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_delivery(balance_order, placement_deferred):
    """A Digiflazz success callback that failed on our side after its signature verified."""
    balance_order.provider_code = "digiflazz"
    balance_order.save(update_fields=["provider_code"])
    order = order_apply_provider_update(
        order=order_pay_with_balance(order=balance_order),
        result=ProviderResult(status=ProviderStatus.PENDING),
    )
    body = {
        "data": {
            "ref_id": order.code,
            "customer_no": order.customer_no,
            "buyer_sku_code": order.provider_sku,
            "message": "Transaksi Sukses",
            "status": "Sukses",
            "rc": "00",
            "sn": "SN-REAPPLY",
            "price": 10000,
            "buyer_last_saldo": 90000,
        }
    }
    return WebhookDelivery.objects.create(
        source=WebhookSource.DIGIFLAZZ,
        raw_body=json.dumps(body).encode(),
        headers={"X-Hub-Signature": "[masked]", "X-Digiflazz-Event": "update"},
        signature_valid=True,
        outcome=DeliveryOutcome.FAILED,
        error="OperationalError: the database went away",
    )


def reapply(client, delivery):
    return client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "reapply_selected", "_selected_action": [delivery.pk]},
        follow=True,
    )


def test_reapply_runs_a_failed_delivery_once(admin_group_client, failed_delivery):
    reapply(admin_group_client, failed_delivery)
    failed_delivery.refresh_from_db()
    order = failed_delivery.order

    assert failed_delivery.outcome == DeliveryOutcome.PROCESSED
    assert order.status == OrderStatus.SUCCESS
    assert order.vouchers.get().serial == "SN-REAPPLY"
    assert "re-applied by ada-admin" in failed_delivery.error
    second = reapply(admin_group_client, failed_delivery).content.decode()
    assert "Only a delivery that failed on our side can be re-applied" in second
    assert order.vouchers.count() == 1


def test_reapply_is_refused_to_finance_and_for_unverified_deliveries(
    finance_client, admin_group_client, failed_delivery
):
    reapply(finance_client, failed_delivery)
    failed_delivery.refresh_from_db()
    assert failed_delivery.outcome == DeliveryOutcome.FAILED

    WebhookDelivery.objects.filter(pk=failed_delivery.pk).update(signature_valid=False)
    page = reapply(admin_group_client, failed_delivery).content.decode()
    assert "signature never verified" in page


def test_the_delivery_page_shows_the_body_redacted_and_the_headers_masked(
    admin_client, failed_delivery
):
    url = reverse("admin:webhooks_webhookdelivery_change", args=[failed_delivery.pk])
    html = admin_client.get(url).content.decode()

    assert "Transaksi Sukses" in html
    assert "SN-REAPPLY" not in html  # only through the audited reveal
    assert "[masked]" in html


def test_pricing_preview_shows_new_prices_without_saving(admin_client):
    product = ProductFactory()  # cost 10,000
    PricingRuleFactory(percent=Decimal("5"))
    data = {
        "scope": "product",
        "tier": "retail",
        "product": product.pk,
        "percent": "20",
        "flat_amount": "0",
        "min_margin": "0",
        "rounding_step": "1",
        "active": "on",
        "_preview": "Preview",
    }

    response = admin_client.post(reverse("admin:catalog_pricingrule_preview"), data)

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["product"], row["price_new"], row["margin_new"]) for row in rows] == [
        (product, Decimal("12000.00"), Decimal("2000.00"))
    ]
    assert PricingRule.objects.count() == 1
    assert 'name="percent" value="20"' in response.content.decode()


def test_pricing_preview_reports_an_invalid_rule(admin_client):
    response = admin_client.post(
        reverse("admin:catalog_pricingrule_preview"), {"scope": "product", "tier": "retail"}
    )
    assert response.status_code == 200
    assert "not valid" in response.content.decode()


def test_provider_actions_are_for_those_who_operate_providers(support_client, admin_client):
    provider = ProviderFactory(code="nosuch")
    url = reverse("admin:catalog_provider_changelist")
    data = {"action": "check_balance_now", "_selected_action": [provider.pk]}

    page = admin_client.post(url, data, follow=True).content.decode()
    assert "nosuch is not an upstream provider" in page.lower()
    assert support_client.get(url).status_code == 200
    assert "check_balance_now" not in support_client.get(url).content.decode()


def test_the_dashboard_shows_takings_states_and_differences(
    admin_group_client, balance_order, placement_deferred
):
    order = order_apply_provider_update(
        order=order_pay_with_balance(order=balance_order),
        result=ProviderResult(status=ProviderStatus.SUCCESS),
    )
    ReconciliationRun.objects.create(
        kind="provider",
        code="digiflazz",
        window_start=order.created_at,
        window_end=order.created_at,
        method="test",
        ok=False,
        problems=[{"order": order.code, "problem": "charged differs from booked"}],
    )

    response = admin_group_client.get(reverse("ops-dashboard"))

    assert response.status_code == 200
    assert response.context["today"].sales == order.price
    assert response.context["today"].margin == order.price - order.cost
    html = response.content.decode()
    assert "<svg" in html
    assert "charged differs from booked" in html
    assert "cdn" not in html.lower()


def test_the_dashboard_is_staff_only(client, db):
    from tests.ops.conftest import make_staff

    response = client.get(reverse("ops-dashboard"))
    assert response.status_code == 302
    client.force_login(make_staff("nogroup", None))
    assert client.get(reverse("ops-dashboard")).status_code == 403
