from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("account/orders/", views.order_history, name="orders"),
    path("account/notifications/", views.notifications, name="notifications"),
    path("account/notifications/read/", views.notifications_read, name="notifications-read"),
    path("account/messages/", views.message_channel, name="message-channel"),
    path("account/wallet/", views.wallet_page, name="wallet"),
    path("account/wallet/deposit/", views.deposit, name="deposit"),
    path(
        "account/wallet/deposit/bank-transfer/",
        views.deposit_bank_transfer,
        name="deposit-bank-transfer",
    ),
]
