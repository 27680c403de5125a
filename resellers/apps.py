from django.apps import AppConfig


class ResellersConfig(AppConfig):
    name = "resellers"
    verbose_name = "Reseller API"

    def ready(self) -> None:
        from orders.signals import order_transitioned
        from resellers.callbacks import reseller_order_transitioned
        from resellers.key_cache import connect_signals

        connect_signals()

        # An API order's callback row is written in the transition's own transaction.
        order_transitioned.connect(
            reseller_order_transitioned, dispatch_uid="resellers.order_transitioned"
        )
