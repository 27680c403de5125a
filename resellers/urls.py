from django.urls import path

from resellers import apis, views

app_name = "resellers"
urlpatterns = [
    path("api/v1/products", apis.ProductsApi.as_view(), name="api-products"),
    path("api/v1/balance", apis.BalanceApi.as_view(), name="api-balance"),
    path("api/v1/flash-sales", apis.FlashSalesApi.as_view(), name="api-flash-sales"),
    path("api/v1/accounts/check", apis.AccountCheckApi.as_view(), name="api-account-check"),
    path("api/v1/bills/inquiry", apis.BillInquiryApi.as_view(), name="api-bill-inquiry"),
    path("api/v1/bills/pay", apis.BillPayApi.as_view(), name="api-bill-pay"),
    path("api/v1/orders/validate", apis.OrderValidateApi.as_view(), name="api-order-validate"),
    path("api/v1/orders", apis.OrdersApi.as_view(), name="api-orders"),
    path("api/v1/orders/<str:ref_id>", apis.OrderDetailApi.as_view(), name="api-order"),
    path("account/api/", views.account_api, name="account"),
    path("account/api/keys/", views.key_create, name="key-create"),
    path("account/api/keys/<int:pk>/revoke/", views.key_revoke, name="key-revoke"),
    path("account/api/callback-url/", views.callback_url_set, name="callback-url"),
    path("account/api/rotate-secret/", views.secret_rotate, name="secret-rotate"),
    path("account/api/callbacks/<int:pk>/resend/", views.delivery_resend, name="resend"),
    path("developers/api/", views.api_docs, name="docs"),
]
