from django.urls import path

from webhooks import views

urlpatterns = [
    path(
        "api/shan/client/balance-update",
        views.ShanBalanceUpdateView.as_view(),
        name="webhook-shan-balance-update",
    ),
    path("api/webhooks/tripay", views.TripayCallbackView.as_view(), name="webhook-tripay"),
    path(
        "api/webhooks/digiflazz",
        views.DigiflazzCallbackView.as_view(),
        name="webhook-digiflazz",
    ),
]
