"""Which provider product (route) an order of a shop item is bought through.

The contract the order path and failover use: `item_routes` lists the routes that may be
used now, best first; `route_choose` is its first. A route is one `Product` linked to the
item (`Product.shop_item`), with its cost for this order in the shop currency.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from catalog.models import Product, ShopItem
from catalog.services.pricing import product_unavailable_reason
from shop.money import quantize


@dataclass(frozen=True)
class Route:
    product: Product
    cost: Decimal  # this order's cost at this route, shop currency, to cents

    @property
    def provider_code(self) -> str:
        return self.product.provider.code


def _route_cost(product: Product, amount: Decimal | None) -> Decimal:
    unit = product.cost * product.provider.exchange_rate
    return quantize(unit * amount) if product.is_flexible and amount is not None else quantize(unit)


def item_routes(
    item: ShopItem,
    *,
    amount: Decimal | None = None,
    exclude_provider_codes: Iterable[str] = (),
) -> list[Route]:
    """The routes of `item` that may take an order now, best first: staff pins
    (`route_priority`, 1 first) before unpinned routes, then the cheapest."""
    excluded = set(exclude_provider_codes)
    products = item.routes.select_related("provider").exclude(provider__code__in=excluded)
    routes = [
        Route(product=product, cost=_route_cost(product, amount))
        for product in products
        if not product_unavailable_reason(product)
    ]
    return sorted(
        routes,
        key=lambda route: (
            route.product.route_priority is None,
            route.product.route_priority or 0,
            route.cost,
            route.product.pk,
        ),
    )


def route_choose(
    item: ShopItem,
    *,
    amount: Decimal | None = None,
    exclude_provider_codes: Iterable[str] = (),
) -> Route | None:
    """The best route of `item` now; None when no route may take an order."""
    routes = item_routes(item, amount=amount, exclude_provider_codes=exclude_provider_codes)
    return routes[0] if routes else None
