"""Which provider product (route) an order of a shop item is bought through.

The contract the order path and failover use: `route_choose` gives the best route that may
be used now; `item_route_report` lists every route, the usable ones best first and the
skipped ones each with its reason (the admin and the tests read it; it takes no probe).
A route is one `Product` linked to the item (`Product.shop_item`), with its cost for this
order in the shop currency.

A route may take an order only when (docs/routing.md):

- its provider is enabled, not out of balance, and its circuit allows orders
  (`providers.health.provider_circuit_allows`);
- the product is active at the provider and for the admin;
- it is in stock (`stock` empty or above 0);
- now is outside its daily cut-off (`cutoff_start` to `cutoff_end`, in settings.TIME_ZONE;
  a window whose end is before its start runs past midnight);
- the provider's last known balance (`Provider.last_balance`, when known) covers the cost
  in the provider's currency;
- its cost is within `max_cost` (the price the buyer pays), unless the item
  `allow_below_cost`.

Order: staff pins (`route_priority`, 1 first) before unpinned routes, then the cheapest,
then the product's pk.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from catalog.models import Product, ShopItem
from catalog.services.items import route_cost, route_static_reason
from providers import health
from providers.models import CircuitState


@dataclass(frozen=True)
class Route:
    product: Product
    cost: Decimal  # this order's cost at this route, shop currency, to cents

    @property
    def provider_code(self) -> str:
        return self.product.provider.code


@dataclass(frozen=True)
class SkippedRoute:
    product: Product
    cost: Decimal
    reason: str  # for staff: may name the provider and the cost


@dataclass(frozen=True)
class RouteReport:
    """The routes of one item for one order: `usable` best first, `skipped` with reasons."""

    usable: list[Route] = field(default_factory=list)
    skipped: list[SkippedRoute] = field(default_factory=list)


def provider_cost(product: Product, amount: Decimal | None) -> Decimal:
    """The same cost in the provider's currency (what its balance must cover)."""
    return product.cost * amount if product.is_flexible and amount is not None else product.cost


def in_cutoff(start: time | None, end: time | None, at: time) -> bool:
    """Whether `at` (shop time) is inside the daily window from `start` (included) to `end`
    (excluded); a window with `end` before `start` runs past midnight; no window when
    either end is empty or both are equal."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


def route_skip_reason(
    product: Product,
    *,
    cost: Decimal,
    amount: Decimal | None,
    local_time: time,
    max_cost: Decimal | None,
    allow_below_cost: bool,
) -> str:
    """Why `product` may not take this order now, the circuit aside (asked last, see
    `_circuit_reason`); empty when nothing else stops it (the module's rules)."""
    reason = route_static_reason(product)
    if reason:
        return reason
    provider = product.provider
    if in_cutoff(product.cutoff_start, product.cutoff_end, local_time):
        return f"in its daily cut-off {product.cutoff_start:%H:%M}-{product.cutoff_end:%H:%M}"
    if provider.last_balance is not None and provider.last_balance < provider_cost(product, amount):
        return f"provider {provider.code}'s last balance {provider.last_balance} is below the cost"
    if max_cost is not None and not allow_below_cost and cost > max_cost:
        return f"cost {cost} is above {max_cost}"
    return ""


def _circuit_reason(route: Route) -> str:
    """The health helper's verdict on `route`'s provider. Asked last and only as needed:
    a half-open circuit lets exactly one caller through (its probe), so asking consumes it."""
    if health.provider_circuit_allows(route.provider_code):
        return ""
    return f"provider {route.provider_code}'s circuit is open"


def item_route_products(item: ShopItem) -> list[Product]:
    """Every route of `item` with its provider, in pk order: the prefetched ones when the
    caller prefetched `routes` (`item_with_routes`), else by one query."""
    if "routes" in getattr(item, "_prefetched_objects_cache", {}):
        return list(item.routes.all())
    return list(item.routes.select_related("provider").order_by("pk"))


def item_with_routes(item: ShopItem) -> ShopItem:
    """`item` with its routes and their providers prefetched (one query, once), so pricing
    (`catalog_item_price_for`) and routing read them without another. The prefetch stays
    on the instance: pass a fresh one per order."""
    if "routes" not in getattr(item, "_prefetched_objects_cache", {}):
        prefetch_related_objects(
            [item],
            Prefetch("routes", queryset=Product.objects.select_related("provider").order_by("pk")),
        )
    return item


def _sort_key(route: Route):
    priority = route.product.route_priority
    return (priority is None, priority or 0, route.cost, route.product.pk)


def _candidates(
    item: ShopItem,
    *,
    amount: Decimal | None,
    exclude_provider_codes: Iterable[str],
    max_cost: Decimal | None,
    now: datetime | None,
) -> RouteReport:
    """Every rule but the circuit applied: candidates best first, and the skipped."""
    excluded = set(exclude_provider_codes)
    local_time = timezone.localtime(now or timezone.now()).time()
    usable, skipped = [], []
    for product in item_route_products(item):
        cost = route_cost(product, amount)
        if product.provider.code in excluded:
            reason = "excluded for this order"
        else:
            reason = route_skip_reason(
                product,
                cost=cost,
                amount=amount,
                local_time=local_time,
                max_cost=max_cost,
                allow_below_cost=item.allow_below_cost,
            )
        if reason:
            skipped.append(SkippedRoute(product=product, cost=cost, reason=reason))
        else:
            usable.append(Route(product=product, cost=cost))
    return RouteReport(usable=sorted(usable, key=_sort_key), skipped=skipped)


def item_route_report(
    item: ShopItem,
    *,
    amount: Decimal | None = None,
    exclude_provider_codes: Iterable[str] = (),
    max_cost: Decimal | None = None,
    now: datetime | None = None,
) -> RouteReport:
    """Every route of `item` for one order of `amount` (flexible items), at `now` (default:
    the current time): the usable ones best first (pins, then cheapest, then pk) and the
    skipped ones with the reason (routes of `exclude_provider_codes` are skipped as
    "excluded"). `max_cost`: see `route_choose`. Reads the routes in one query (none when
    prefetched) and each candidate's circuit state without taking a half-open circuit's
    probe (a route whose circuit is not closed is skipped): for the admin and tests; the
    order path uses `route_choose`."""
    report = _candidates(
        item,
        amount=amount,
        exclude_provider_codes=exclude_provider_codes,
        max_cost=max_cost,
        now=now,
    )
    usable, skipped = [], list(report.skipped)
    for route in report.usable:
        state = health.provider_circuit_state(route.provider_code)
        closed = state == CircuitState.CLOSED
        reason = "" if closed else f"provider {route.provider_code}'s circuit is {state}"
        if reason:
            skipped.append(SkippedRoute(product=route.product, cost=route.cost, reason=reason))
        else:
            usable.append(route)
    return RouteReport(usable=usable, skipped=skipped)


def route_choose(
    item: ShopItem,
    *,
    amount: Decimal | None = None,
    exclude_provider_codes: Iterable[str] = (),
    max_cost: Decimal | None = None,
    now: datetime | None = None,
) -> Route | None:
    """The best route of `item` now; None when no route may take an order.

    `max_cost` is the price the buyer pays (shop currency): a route costing more is skipped,
    so no order is sold at a loss, unless the item `allow_below_cost` (staff accepted such
    a loss; the failover helper passes the order's price). None: no ceiling.
    The candidates' circuits are asked best first, only until one allows the order, so a
    half-open circuit's one probe goes to the order that really uses the route.
    """
    candidates = _candidates(
        item,
        amount=amount,
        exclude_provider_codes=exclude_provider_codes,
        max_cost=max_cost,
        now=now,
    ).usable
    return next((route for route in candidates if not _circuit_reason(route)), None)
