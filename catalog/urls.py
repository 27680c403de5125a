"""catalog: urls."""

from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("brands/<slug:slug>/", views.brand_detail, name="brand"),
]
