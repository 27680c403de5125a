"""providers: urls."""

urlpatterns: list = []
