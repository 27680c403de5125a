"""Routing's cost per order: the routing decision next to the order path without it.

One shop item with ROUTES provider products (different providers, costs, a staff pin on
none, stock, a cut-off window elsewhere in the day, a known provider balance), priced by
the rules. Timed, each N times after WARM_UP, median of RUNS runs, wall and this
process's CPU (PostgreSQL's is not in it):
- routing: `route_choose` of an item read afresh (untimed): its routes read (one query)
  and every rule applied, the health helper asked for the chosen route;
- order: `order_create` of a guest's gateway order of the item (checked, priced, routed,
  stored with its event), each in its own transaction;
- the order path without routing = order - routing (the order reads the routes once,
  for pricing and routing alike).
Printed: milliseconds and routing ÷ (order without routing), the share routing adds to an
order (goal ≤ 0.5). Every order must have gone to the cheapest route.
"""

import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROUTES = 3
N = 200
WARM_UP = 20
RUNS = 3
GOAL = 0.5


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench._setup import setup_django_with_scratch_database

    setup_django_with_scratch_database("bench_routing")

    from datetime import time as clock

    from catalog.models import InputSchema, ShopItem
    from catalog.services import catalog_reprice_all
    from orders.models import Order, PaymentMethod
    from orders.purchase import Purchase
    from orders.routing import route_choose
    from orders.services.creation import order_create
    from shop.models import PriceTier
    from tests.catalog.factories import (
        BrandFactory,
        PricingRuleFactory,
        ProductFactory,
        ProviderFactory,
        ShopItemFactory,
    )

    PricingRuleFactory(tier=PriceTier.RETAIL, percent=Decimal("5"), min_margin=Decimal("100"))
    item = ShopItemFactory(brand=BrandFactory(input_schema=InputSchema.GAME))
    routes = [
        ProductFactory(
            shop_item=item,
            brand=item.brand,
            provider=ProviderFactory(last_balance=Decimal("1000000000")),
            cost=Decimal(10_000 - 100 * n),
            stock=1_000_000 if n else None,
            cutoff_start=clock(3, 0) if n == 1 else None,
            cutoff_end=clock(3, 1) if n == 1 else None,
        )
        for n in range(ROUTES)
    ]
    cheapest = min(routes, key=lambda product: product.cost)
    catalog_reprice_all()

    def fresh_item():
        return ShopItem.objects.get(pk=item.pk)

    def routing(fresh) -> None:
        assert route_choose(fresh).product.pk == cheapest.pk

    def order(_unused) -> None:
        fresh = ShopItem.objects.select_related("brand").get(pk=item.pk)
        created = order_create(
            purchase=Purchase(
                item=fresh,
                customer_data={"user_id": "12345678"},
                payment_method=PaymentMethod.GATEWAY,
                guest_email="bench@example.com",
            )
        )
        assert created.product_id == cheapest.pk

    results = {"routing": [], "order": []}
    for _run in range(RUNS):
        results["routing"].append(_time(routing, prepare=fresh_item))
        results["order"].append(_time(order))
    assert Order.objects.filter(product=cheapest).count() == RUNS * (N + WARM_UP)

    routing_wall, routing_cpu = _medians(results["routing"])
    order_wall, order_cpu = _medians(results["order"])
    print(f"  {ROUTES} routes, {N} calls per run, median of {RUNS} runs")
    print(f"  routing decision: {routing_wall:.2f} ms wall, {routing_cpu:.2f} ms CPU")
    print(f"  order (routed):   {order_wall:.2f} ms wall, {order_cpu:.2f} ms CPU")
    for label, routed, whole in (
        ("wall", routing_wall, order_wall),
        ("CPU", routing_cpu, order_cpu),
    ):
        ratio = routed / max(whole - routed, 1e-9)
        verdict = "(met)" if ratio <= GOAL else f"(missed by {ratio / GOAL:.1f}x)"
        print(f"  routing ÷ order without routing ({label}): {ratio:.2f} (goal ≤ {GOAL}) {verdict}")


def _time(work, prepare=lambda: None) -> tuple[float, float]:
    """(median wall ms, median CPU ms) of `work(prepare())` over N calls after WARM_UP;
    `prepare` is untimed."""
    walls, cpus = [], []
    for i in range(WARM_UP + N):
        argument = prepare()
        started, cpu_started = time.perf_counter(), time.process_time()
        work(argument)
        if i >= WARM_UP:
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu_started) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


if __name__ == "__main__":
    main()
