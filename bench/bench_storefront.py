"""Storefront pages' server time with 10,000 products, against a static "hello" view.

The catalog: the storefront test data (Mobile Legends) plus 10,000 products over 100 brands
in 10 categories (a tenth out of stock), from tests/storefront/support.py. Each page is
requested by a guest through Django's test client (the whole middleware stack, no network):
WARM_UP requests, then N timed ones. Pages:
- hello: a view returning "hello" (bench/storefront_urls.py), the baseline;
- layout: base.html with no content, the floor of every storefront page (second baseline);
- home: categories with their brands, popular brands, the search box;
- brand: a brand page with its 100 items (90 for sale, 10 unavailable) and the checkout form;
- order: a delivered guest order with five codes, opened with its link.
Home and brand are timed warm (the guest page cache holds them: catalog.page_cache) and cold
(a catalog change is committed before each request, untimed, so every one is rebuilt).
Prints the median and p95 of each, both as ratios to hello's, the median over the layout's,
the median CPU time of this process (the web side) and its ratio to the layout's, and
whether home and brand (warm) meet the goal of at most GOAL_OVER_LAYOUT times the layout.
The machine's load average is printed: timings on a shared machine depend on it (a page
that waits on PostgreSQL loses its time slice on a busy machine: wall time suffers, CPU
does not).
"""

import os
import statistics
import sys
import time
from pathlib import Path

N = 300
WARM_UP = 30
PRODUCTS = 10_000
BRANDS = 100
GOAL_OVER_LAYOUT = 3.0  # a guest's warm home and brand page, median over the layout's


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench._setup import setup_django_with_scratch_database

    setup_django_with_scratch_database("bench_storefront")

    from django.test import Client, override_settings

    from tests.storefront.support import bulk_catalog, make_storefront

    make_storefront()
    bulk_catalog(products=PRODUCTS, brands=BRANDS)
    order = _delivered_guest_order()

    home = ("/", 'href="/brands/bulk-brand-99/"')
    brand = ("/brands/bulk-brand-1/", "Bulk item 1")
    pages = {
        "hello": ("/bench/hello", "hello", None),
        "layout": ("/bench/layout", "<html", None),
        "home": (*home, None),
        "home (cold)": (*home, _change_the_catalog),
        "brand (100 items)": (*brand, None),
        "brand (cold)": (*brand, _change_the_catalog),
        "order (5 codes)": (f"/orders/{order.code}/?t={order.access_token}", "SN-4", None),
    }
    client = Client()
    results = {}
    with override_settings(ROOT_URLCONF="bench.storefront_urls"):
        for name, (url, expected, before_each) in pages.items():
            results[name] = _time(client, url, expected, before_each)

    from catalog.models import Product

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"{Product.objects.count():,} products in {BRANDS + 1} brands; a guest's GET through "
        f"the test client, {N} timed after {WARM_UP} warm-up each; "
        f"{os.cpu_count()} CPU cores, load average {load}"
    )
    hello_median, hello_p95, _ = results["hello"]
    layout_median, _, layout_cpu = results["layout"]
    print(
        f"  {'page':18s} {'median':>9s} {'p95':>9s} {'median/hello':>13s} {'p95/hello':>10s}"
        f" {'median/layout':>14s} {'CPU median':>11s} {'CPU/layout':>11s}"
    )
    for name, (median, p95, cpu) in results.items():
        print(
            f"  {name:18s} {median:6.2f} ms {p95:6.2f} ms "
            f"{median / hello_median:12.1f}x {p95 / hello_p95:9.1f}x "
            f"{median / layout_median:13.1f}x {cpu:8.2f} ms {cpu / layout_cpu:10.1f}x"
        )
    for name in ("home", "brand (100 items)"):
        median, _, cpu = results[name]
        ratios = (("CPU", cpu / layout_cpu), ("wall", median / layout_median))
        verdicts = ", ".join(f"{kind} {ratio:.1f}x {_verdict(ratio)}" for kind, ratio in ratios)
        print(f"  goal: {name}, warm, <= {GOAL_OVER_LAYOUT:.0f}x the layout: {verdicts}")


def _verdict(ratio: float) -> str:
    if ratio <= GOAL_OVER_LAYOUT:
        return "(met)"
    return f"(missed by {ratio / GOAL_OVER_LAYOUT:.1f}x)"


def _change_the_catalog() -> None:
    """Commit a change of the catalog (a category's order, rewritten as it is): the version
    changes, so the next page is built again."""
    from catalog.models import Category

    Category.objects.filter(slug="bulk-category-0").update(sort_order=0)


def _delivered_guest_order():
    """A guest's gateway order, paid and delivered with five codes. Placement and e-mails
    are queued on the broker (not eager: no provider is running) and purged."""
    from decimal import Decimal

    from catalog.models import Product
    from orders.checkout import checkout_create
    from orders.models import PaymentMethod
    from orders.purchase import Purchase
    from orders.services.payments import order_mark_paid
    from orders.services.provider_updates import order_apply_provider_update
    from providers.base import ProviderResult, ProviderStatus, VoucherData
    from shop.celery import app

    product = Product.objects.get(provider_sku="ML5")
    app.conf.task_always_eager = False
    try:
        order = checkout_create(
            purchase=Purchase(
                product=product,
                customer_data={"user_id": "12345678", "zone_id": "1234"},
                payment_method=PaymentMethod.GATEWAY,
                guest_email="guest@example.com",
            )
        )
        order = order_mark_paid(order=order, amount=Decimal(order.price))
        vouchers = [VoucherData(serial=f"SN-{i}", pin=f"{i:04d}") for i in range(5)]
        return order_apply_provider_update(
            order=order, result=ProviderResult(status=ProviderStatus.SUCCESS, vouchers=vouchers)
        )
    finally:
        app.conf.task_always_eager = True
        app.control.purge()


def _time(client, url: str, expected: str, before_each=None) -> tuple[float, float, float]:
    """(median, p95, CPU median) in milliseconds of GET `url`, after `before_each()`
    (untimed) when given; every reply must be 200 with `expected`. CPU is this process's
    (the web side: PostgreSQL's is not in it), steadier than wall time on a busy machine."""
    timings, cpu_timings = [], []
    for i in range(WARM_UP + N):
        if before_each is not None:
            before_each()
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if response.status_code != 200 or expected not in response.content.decode():
            raise RuntimeError(f"{url}: {response.status_code}, {expected!r} not in the page")
        if i >= WARM_UP:
            timings.append(elapsed * 1000)
            cpu_timings.append(cpu * 1000)
    timings.sort()
    median_cpu = statistics.median(cpu_timings)
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], median_cpu


if __name__ == "__main__":
    main()
