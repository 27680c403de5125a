"""webhooks: urls."""

urlpatterns: list = []
