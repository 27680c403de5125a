from django.urls import path

from webhooks import shan_balance, views

urlpatterns = [
    path(
        "api/shan/client/balance-update",
        views.ShanBalanceUpdateView.as_view(),
        name="webhook-shan-balance-update",
    ),
    path("api/shan/balance", shan_balance.shan_balance_view, name="shan-balance"),
    path(
        "api/webhooks/hubble/brand-updated",
        views.HubbleBrandUpdatedView.as_view(),
        name="webhook-hubble-brand-updated",
    ),
    path(
        "api/webhooks/hubble/low-balance",
        views.HubbleLowBalanceView.as_view(),
        name="webhook-hubble-low-balance",
    ),
    path(
        "api/webhooks/hubble/order-status",
        views.HubbleOrderStatusView.as_view(),
        name="webhook-hubble-order-status",
    ),
    path("api/webhooks/tripay", views.TripayCallbackView.as_view(), name="webhook-tripay"),
    path(
        "api/webhooks/vipreseller",
        views.VipResellerCallbackView.as_view(),
        name="webhook-vipreseller",
    ),
    path(
        "api/webhooks/digiflazz",
        views.DigiflazzCallbackView.as_view(),
        name="webhook-digiflazz",
    ),
]
