"""Reseller API through gunicorn on PostgreSQL: orders created per second with 16 clients.

Three endpoints in the same run, all behind the same API-key authentication:
- `POST /bench/noop`: authentication and DRF only (baseline 1);
- `POST /bench/transfer`: one ledger transfer, 1.00 from the reseller to sales (baseline 2);
- `POST /api/v1/orders`: a real order, created and paid from the wallet; placement is queued
  on the broker (Celery not eager) and not awaited; the broker is purged at the end.
Each endpoint gets WARM_UP calls, then N calls from CLIENTS threads (one keep-alive
session each), in ROUNDS rounds that take the endpoints in turn, so a change in the
machine's other load during the run weighs on all three alike. Prints requests/s (calls ÷
the time spent on that endpoint), p50 and p99 latency, and orders/s ÷ transfers/s (goal
≥ 0.5, p99 < 100 ms). The machine's core count is printed: the figures depend on it.
"""

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

N = 1600
ROUNDS = 4
WARM_UP = 48
CLIENTS = 16
WORKERS = 4
THREADS = 4


def main() -> None:
    base_dir = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(base_dir))
    from bench._setup import setup_django_with_scratch_database

    setup_django_with_scratch_database("bench_api")

    import requests
    from django.conf import settings
    from django.db import connection

    from catalog.models import InputSchema
    from catalog.services import catalog_reprice_product
    from resellers.services import api_key_create
    from shop.celery import app
    from shop.models import PriceTier, User, UserRole
    from tests.catalog.factories import BrandFactory, PricingRuleFactory, ProductFactory
    from wallets.services import wallet_adjust, wallet_for_user

    product = ProductFactory(brand=BrandFactory(input_schema=InputSchema.GAME))
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("2"))
    catalog_reprice_product(product=product)
    reseller = User.objects.create_user(
        username="bench", role=UserRole.RESELLER, price_tier=PriceTier.RESELLER
    )
    wallet_adjust(
        wallet=wallet_for_user(user=reseller), amount=Decimal("1e12"), reason="bench funding"
    )
    _key, raw_key = api_key_create(user=reseller, rate_limit_per_minute=100_000)

    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL": "true",
        "DATABASE_POOL_MAX_SIZE": str(THREADS),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.REDIS_URL,
        "LOG_LEVEL": "WARNING",
    }
    command = [
        *(sys.executable, "-m", "gunicorn", "bench.api_wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
        *("--worker-class", "gthread", "--threads", str(THREADS), "--log-level", "warning"),
    ]
    server = subprocess.Popen(command, cwd=base_dir, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base)
        headers = {"Authorization": f"Bearer {raw_key}"}
        counter = iter(range(10**9))
        lock = threading.Lock()

        def order_body():
            with lock:
                n = next(counter)
            return {
                "ref_id": f"B-{n}",
                "product_id": product.pk,
                "customer_data": {"user_id": "12345678"},
            }

        cases = [
            ("no-op (auth only)", "/bench/noop", dict, 200),
            ("one ledger transfer", "/bench/transfer", dict, 201),
            ("order create + pay", "/api/v1/orders", order_body, 201),
        ]
        for _name, path, body, expected in cases:
            _load(requests, base + path, headers, body, expected, WARM_UP)
        walls = {name: 0.0 for name, *_ in cases}
        latencies = {name: [] for name, *_ in cases}
        for _round in range(ROUNDS):
            for name, path, body, expected in cases:
                wall, round_latencies = _load(
                    requests, base + path, headers, body, expected, N // ROUNDS
                )
                walls[name] += wall
                latencies[name] += round_latencies
        results = {name: _summary(walls[name], latencies[name]) for name in walls}
    finally:
        server.terminate()
        server.wait(timeout=30)
        app.control.purge()

    print(
        f"gunicorn {WORKERS} workers x {THREADS} threads, {CLIENTS} clients, "
        f"{N} calls each in {ROUNDS} rounds, {os.cpu_count()} CPU cores"
    )
    for name, (rate, p50, p99) in results.items():
        print(f"  {name:22s} {rate:8.1f}/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms")
    orders, transfers = results["order create + pay"], results["one ledger transfer"]
    print(
        f"  orders/s ÷ transfers/s = {orders[0] / transfers[0]:.2f} (goal ≥ 0.5); "
        f"order p99 {orders[2]:.1f} ms (goal < 100 ms)"
    )


def _load(requests, url, headers, body, expected, count):
    latencies: list[float] = []
    errors: list[str] = []
    remaining = iter(range(count))
    lock = threading.Lock()

    def client():
        session = requests.Session()
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            started = time.perf_counter()
            reply = session.post(url, json=body(), headers=headers, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if reply.status_code != expected:
                    errors.append(f"{reply.status_code} {reply.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{url}: {len(errors)} unexpected replies, e.g. {errors[0]}")
    return wall, latencies


def _summary(wall: float, latencies: list[float]) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 in ms."""
    latencies = sorted(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / wall, statistics.median(latencies) * 1000, p99 * 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(base: str) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/developers/api/", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


if __name__ == "__main__":
    main()
