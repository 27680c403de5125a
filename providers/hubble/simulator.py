"""The hubble simulator (being written)."""

urlpatterns: list = []
