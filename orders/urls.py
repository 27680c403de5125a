"""orders: urls."""

urlpatterns: list = []
