"""wallets: urls."""

urlpatterns: list = []
