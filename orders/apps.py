from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from orders.promotions import order_promotion_released
        from orders.signals import order_transitioned

        # A refunded, expired or cancelled order gives its promotion back, in the move's
        # transaction.
        order_transitioned.connect(
            order_promotion_released, dispatch_uid="orders.promotion_released"
        )
