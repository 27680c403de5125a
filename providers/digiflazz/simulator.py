"""The digiflazz simulator (being written)."""

urlpatterns: list = []
