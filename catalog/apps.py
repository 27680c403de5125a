from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save
        from django.test.signals import setting_changed

        from catalog.models import PricingRule
        from catalog.page_cache import fragments
        from catalog.selectors import pricing_rules_changed

        # Every process's cached rules (catalog.selectors.pricing_rules) follow a change.
        for signal in (post_save, post_delete):
            signal.connect(
                pricing_rules_changed,
                sender=PricingRule,
                dispatch_uid=f"catalog.pricing_rules.{signal is post_save}",
            )
        # Tests change settings a cached page depends on (the simulators' hint, the gateway):
        # the page cache starts again. Sent only by override_settings.
        setting_changed.connect(lambda **kwargs: fragments.clear(), weak=False)
