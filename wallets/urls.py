from django.urls import path

from wallets import views

app_name = "wallets"
urlpatterns = [
    path("account/wallet/", views.wallet_page, name="wallet"),
]
