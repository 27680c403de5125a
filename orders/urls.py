from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("brands/<slug:slug>/", views.brand_detail, name="brand"),
    path("buy/<slug:slug>/", views.checkout, name="checkout"),
    path("brands/<slug:slug>/check-account/", views.account_check_view, name="account-check"),
    path("orders/<str:code>/", views.order_detail, name="detail"),
    path("orders/<str:code>/return/", views.order_return, name="return"),
    path("orders/<str:code>/status/", views.order_status, name="status"),
]
