from django.urls import path

from orders import bill_views, views

app_name = "orders"
urlpatterns = [
    path("brands/<slug:slug>/", views.brand_detail, name="brand"),
    path("buy/<slug:slug>/", views.checkout, name="checkout"),
    path("brands/<slug:slug>/check-account/", views.account_check_view, name="account-check"),
    path("bills/", bill_views.bills_index, name="bills"),
    path("bills/inquiry/", bill_views.bill_inquiry, name="bill-inquiry"),
    path("bills/<str:code>/pay/", bill_views.bill_pay, name="bill-pay"),
    path("orders/<str:code>/", views.order_detail, name="detail"),
    path("orders/<str:code>/return/", views.order_return, name="return"),
    path("orders/<str:code>/status/", views.order_status, name="status"),
]
