"""The sandbox simulator (being written)."""

urlpatterns: list = []
