from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("orders/<str:code>/", views.order_detail, name="detail"),
]
