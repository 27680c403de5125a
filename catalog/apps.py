from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        from django.test.signals import setting_changed

        from catalog.page_cache import fragments

        # Tests change settings a cached page depends on (the simulators' hint, the gateway):
        # the page cache starts again. Sent only by override_settings.
        setting_changed.connect(lambda **kwargs: fragments.clear(), weak=False)
