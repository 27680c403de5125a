"""The foxreload simulator (being written)."""

urlpatterns: list = []
