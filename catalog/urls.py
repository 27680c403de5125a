"""catalog: urls."""

urlpatterns: list = []
