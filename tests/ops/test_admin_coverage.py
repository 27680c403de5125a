"""The admin covers every model of the shop: registered, with list columns, filters, search
and a date hierarchy where they fit; history and ledger records cannot be deleted."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from orders.models import Order, OrderEvent
from providers.models import ProviderCall
from shan.models import ShanSettlement
from wallets.models import BalanceMutation, Deposit, Transfer
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db

SHOP_APPS = {
    "shop",
    "catalog",
    "orders",
    "wallets",
    "providers",
    "webhooks",
    "resellers",
    "ops",
    "shan",
}
# Models without a table or without anything a filter or a date hierarchy would help with.
NO_FILTER = {
    "shop.Heartbeat",
    "catalog.Category",
    "catalog.CatalogVersion",
    "resellers.ResellerSettings",
}
NO_DATES = {
    "catalog.Category",
    "catalog.Brand",
    "catalog.BrandAlias",
    "catalog.CatalogVersion",
    "shop.Heartbeat",
    "shop.StaffAlertRoute",
}
NEVER_DELETED = [
    Order,
    OrderEvent,
    Transfer,
    BalanceMutation,
    WebhookDelivery,
    ProviderCall,
    Deposit,
    ShanSettlement,
]


def shop_models():
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in SHOP_APPS and model._meta.managed
    ]


def label(model) -> str:
    return model._meta.label


@pytest.mark.parametrize("model", shop_models(), ids=label)
def test_every_model_is_registered_with_columns_filters_search_and_dates(model):
    model_admin = admin.site._registry.get(model)

    assert model_admin is not None, f"{label(model)} is not in the admin"
    assert len(model_admin.list_display) >= min(3, len(model._meta.concrete_fields) - 1)
    assert model_admin.search_fields
    if label(model) not in NO_FILTER:
        assert model_admin.list_filter
    if label(model) not in NO_DATES:
        assert model_admin.date_hierarchy


@pytest.mark.parametrize("model", shop_models(), ids=label)
def test_every_changelist_loads_and_searches(admin_client, model):
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"

    assert admin_client.get(reverse(info)).status_code == 200
    assert admin_client.get(reverse(info), {"q": "x"}).status_code == 200


@pytest.mark.parametrize("model", NEVER_DELETED, ids=label)
def test_history_and_ledger_records_cannot_be_deleted(rf, admin_user, model):
    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = admin_user

    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)
