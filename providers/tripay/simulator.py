"""The tripay simulator (being written)."""

urlpatterns: list = []
