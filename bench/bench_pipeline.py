"""The order pipeline at volume.

1. 1,000 orders placed for real at the Digiflazz simulator (served in this process by a
   LiveServerThread) and left pending there, then resolved over 17 simulated minutes by
   the poller (a beat every 15 s: `orders_poll_due`, then `order_poll` for each claim) and
   by the simulator's signed callbacks. Some callbacks are lost (only the poller can finish
   those orders) and some never finish at the provider (handed to a person at the
   deadline, never refunded by the clock).
   Reported: provider status calls per order, from the call log (goal: at most 6, the
   pending rule's five polls and the deadline's last call).
2. One claim over 10,000 due orders (created in bulk) against a bare SELECT of the same
   rows in the same run: the default batch, all 10,000 at once (one UPDATE ... RETURNING),
   and one beat (each provider up to its budget). Goal: <= 5x.
3. A provider outage: 100,000 due orders. Measured: every beat's claim until none is due,
   and the cost of one poll (status call answered in-process). Modelled from those and the
   provider's rate limit: when the last order is asked (goal: within 2 minutes), and the
   worker processes and cores that takes.

The clock travels with time-machine (the simulator in the live server sees it too).
"""

import logging
import math
import random
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ORDERS = 1_000
DUE_ORDERS = 10_000
GOAL_CLAIM_RATIO = 5
OUTAGE_ORDERS = 100_000
GOAL_DRAIN_SECONDS = 120
POLL_SAMPLE = 1_000
PROVIDER_LATENCY = 0.2  # seconds a status call takes at the provider (modelled)
BEAT = timedelta(seconds=15)
WORKERS = 3  # claimed polls run in parallel, as on several Celery workers
SIMULATED = timedelta(minutes=17)
# Digiflazz's pending rule within 17 minutes: five polls, then the deadline's last status call.
GOAL_STATUS_CALLS = 6
SEED = 1123
# What happens to each order at the provider: (share, scenario suffix, callback reaches us,
# finishes before the deadline).
MIX = [
    (0.35, "91", True, True),  # pending, then success with a callback
    (0.10, "92", True, True),  # pending, then failure with a callback
    (0.25, "91", False, True),  # success whose callback is lost: only a poll finds it
    (0.10, "92", False, True),  # failure whose callback is lost
    (0.20, "91", True, False),  # still pending at the deadline: to a person, never refunded
]
LOST_CALLBACK_URL = "http://127.0.0.1:9/lost"


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench._setup import setup_django_with_scratch_database

    setup_django_with_scratch_database("bench_pipeline")
    for name in ("celery", "providers", "django.request", "orders", "webhooks"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

    import time_machine
    from django.utils import timezone

    server, url = start_live_server()
    try:
        configure_simulator(url)
        with time_machine.travel(timezone.now(), tick=True) as clock:
            bench_status_calls(clock)
        bench_poll_due_cycle()
        bench_outage_drain()
    finally:
        server.terminate()
        server.join(5)


# --- the simulator in this process ---------------------------------------------------------
def start_live_server():
    """Django's live server, with TCP_NODELAY on its sockets: its handler writes headers
    and body apart, and on a kept-alive connection (ProviderHttp's session) Nagle plus the
    client's delayed ACK would add ~40 ms to every call, which no real provider does."""
    import socket

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class NoDelayServer(ThreadedWSGIServer):
        def get_request(self):
            sock, address = super().get_request()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock, address

    class NoDelayLiveServer(LiveServerThread):
        server_class = NoDelayServer

    server = NoDelayLiveServer("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    return server, f"http://127.0.0.1:{server.port}"


def configure_simulator(url: str) -> None:
    from django.conf import settings

    settings.DIGIFLAZZ_BASE_URL = url + "/sim/digiflazz/v1"
    settings.SIMULATOR_CALLBACK_BASE_URL = url
    settings.SIMULATOR_PENDING_SECONDS = 2 * 3600  # resolve times are set per order below
    settings.CELERY_TASK_ALWAYS_EAGER = True


def shop_setup():
    """A buyer with money and the Digiflazz test SKU for sale (testing orders are free at
    the simulator, so its deposit never runs out)."""
    from catalog.models import Brand, Category, InputSchema, PricingRule, PricingScope, Product
    from providers.defaults import provider_ensure
    from shop.models import PriceTier, User
    from wallets.services import wallet_adjust, wallet_for_user

    PricingRule.objects.create(scope=PricingScope.GLOBAL, tier=PriceTier.RETAIL, percent=5)
    category = Category.objects.create(name="Data", slug="data")
    brand = Brand.objects.create(
        name="XL", slug="xl", category=category, input_schema=InputSchema.PHONE
    )
    product = Product.objects.create(
        provider=provider_ensure("digiflazz"),
        provider_sku="xld10",
        brand=brand,
        category=category,
        name="XL Data 10.000",
        cost=Decimal("10000"),
        cost_currency="IDR",
    )
    buyer = User.objects.create_user(username="bench", email="bench@example.com")
    wallet_adjust(wallet=wallet_for_user(user=buyer), amount=Decimal("1e9"), reason="bench")
    return product, buyer


# --- 1. status calls per order ---------------------------------------------------------------
def bench_status_calls(clock) -> None:
    from django.utils import timezone

    from orders import pipeline
    from orders.models import Order, OrderStatus, PaymentMethod
    from orders.purchase import Purchase
    from orders.services.creation import order_create
    from orders.services.payments import order_pay_with_balance
    from providers.models import ProviderCall, SimulatedOrder
    from providers.simulators import simulators_resolve_due

    product, buyer = shop_setup()
    rng = random.Random(SEED)
    plans = {}
    started = time.perf_counter()
    for n in range(ORDERS):
        _share, suffix, callback, finishes = _pick(rng)
        order = order_create(
            purchase=Purchase(
                product=product,
                user=buyer,
                customer_data={"phone": f"08120{n:05d}{suffix}"},
                payment_method=PaymentMethod.BALANCE,
            )
        )
        order_pay_with_balance(order=order)  # placed at the simulator when this commits
        plans[order.code] = (callback, finishes)
    placing = time.perf_counter() - started
    pending = Order.objects.filter(status=OrderStatus.PROCESSING, provider_status="PENDING")
    print(
        f"placed {ORDERS:,} orders at the Digiflazz simulator in {placing:.1f} s; "
        f"{pending.count():,} pending there"
    )

    for sim_order in SimulatedOrder.objects.filter(provider="digiflazz"):
        callback, finishes = plans[sim_order.reference]
        minutes = rng.uniform(0.3, 14.5) if finishes else 120
        sim_order.resolve_at = sim_order.created_at + timedelta(minutes=minutes)
        sim_order.callback_url = "" if callback else LOST_CALLBACK_URL
        sim_order.save(update_fields=["resolve_at", "callback_url"])

    started = time.perf_counter()
    end = timezone.now() + SIMULATED
    beats = polls = callbacks = 0
    with ThreadPoolExecutor(WORKERS) as workers:
        while timezone.now() < end:
            callbacks += simulators_resolve_due(limit=ORDERS)
            claims = pipeline.orders_poll_due()
            list(workers.map(_poll, claims))
            polls += len(claims)
            beats += 1
            clock.shift(BEAT)
        _close_thread_connections(workers)
    resolving = time.perf_counter() - started

    calls = Counter(
        ProviderCall.objects.filter(provider="digiflazz", endpoint="transaction")
        .values_list("reference", flat=True)
        .iterator()
    )
    # Digiflazz's status check is the placement re-posted: all but the first post are checks.
    checks = {code: calls[code] - 1 for code in plans}
    outcomes = Counter(Order.objects.filter(code__in=plans).values_list("status", flat=True))
    values = sorted(checks.values())
    over = sum(1 for value in values if value > GOAL_STATUS_CALLS)
    histogram = Counter(values)
    print(
        f"resolved over {SIMULATED.total_seconds() / 60:.0f} simulated minutes in "
        f"{resolving:.1f} s: {beats} beats, {polls:,} polls, "
        f"{callbacks:,} callbacks sent by the simulator"
    )
    print("outcomes: " + ", ".join(f"{status} {n:,}" for status, n in sorted(outcomes.items())))
    print(
        "status calls per order: "
        + ", ".join(f"{calls_}: {n:,} orders" for calls_, n in sorted(histogram.items()))
    )
    print(
        f"status calls per order: mean {statistics.mean(values):.2f}, max {values[-1]}; "
        f"goal <= {GOAL_STATUS_CALLS}: {'met' if over == 0 else f'NOT met ({over} orders over)'}"
    )
    still = outcomes.get(OrderStatus.PROCESSING, 0)
    print(f"orders still processing after the deadline: {still}")


def _poll(claimed: tuple[int, str]) -> None:
    from orders import pipeline

    order_id, claim = claimed
    pipeline.order_poll(order_id=order_id, claim=claim)


def _close_thread_connections(workers: ThreadPoolExecutor) -> None:
    """Close the database connection each pool thread opened (one task per thread)."""
    from django.db import connection

    barrier = threading.Barrier(WORKERS)

    def close(_n: int) -> None:
        barrier.wait(30)
        connection.close()

    list(workers.map(close, range(WORKERS)))


def _pick(rng: random.Random):
    roll, total = rng.random(), 0.0
    for plan in MIX:
        total += plan[0]
        if roll < total:
            return plan
    return MIX[-1]


# --- 2. one orders_poll_due cycle against a bare SELECT ------------------------------------
def bench_poll_due_cycle() -> None:
    import secrets

    from django.db import connection
    from django.utils import timezone

    from orders import pipeline
    from orders.models import Order, OrderStatus

    template = Order.objects.order_by("pk").first()
    now = timezone.now()
    rows = []
    for n in range(DUE_ORDERS):
        row = Order(
            **{
                field.attname: getattr(template, field.attname)
                for field in Order._meta.concrete_fields
                if field.attname not in ("id",)
            }
        )
        row.code = f"TRX-BENCH-{n:06d}"
        row.access_token = secrets.token_urlsafe(24)
        row.status = OrderStatus.PROCESSING
        row.poll_claim = ""
        row.next_poll_at = now - timedelta(seconds=1 + n % 600)
        rows.append(row)
    Order.objects.bulk_create(rows, batch_size=2_000)
    due_ids = list(Order.objects.filter(code__startswith="TRX-BENCH-").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")

    def reset() -> None:
        Order.objects.filter(pk__in=due_ids).update(
            next_poll_at=now - timedelta(seconds=1), poll_claim=""
        )

    def bare_select(limit: int) -> int:
        return len(
            list(
                Order.objects.filter(
                    status=OrderStatus.PROCESSING, next_poll_at__lte=timezone.now()
                )
                .order_by("next_poll_at")
                .values_list("pk", flat=True)[:limit]
            )
        )

    print(f"{DUE_ORDERS:,} due orders (bulk-created), best of 3 runs each:")
    for label, claim in (
        (
            f"one cycle, default batch ({pipeline.POLL_BATCH_SIZE})",
            lambda: pipeline.orders_poll_due(),
        ),
        (
            f"one cycle claiming all {DUE_ORDERS:,}",
            lambda: pipeline.orders_poll_due(batch_size=DUE_ORDERS),
        ),
        (
            "one beat (each provider up to its budget)",
            lambda: [c for cs in pipeline.orders_claim_due_by_provider().values() for c in cs],
        ),
    ):
        cycle_times, select_times = [], []
        for _ in range(3):
            reset()
            started = time.perf_counter()
            claimed = len(claim())
            cycle_times.append(time.perf_counter() - started)
            reset()
            started = time.perf_counter()
            selected = bare_select(claimed)
            select_times.append(time.perf_counter() - started)
        assert claimed == selected, (claimed, selected)
        cycle, select = min(cycle_times), min(select_times)
        ratio = cycle / select
        print(
            f"  {label:42} claimed {claimed:6,} in {cycle * 1000:8.1f} ms   bare SELECT "
            f"{select * 1000:7.1f} ms   ratio {ratio:6.1f}x"
        )
    print(
        f"  goal: claiming {DUE_ORDERS:,} due orders <= {GOAL_CLAIM_RATIO}x a bare SELECT "
        f"of them: {'met' if ratio <= GOAL_CLAIM_RATIO else 'NOT met'} ({ratio:.1f}x)"
    )
    reset()


# --- 3. draining 100,000 due orders (a provider outage) ---------------------------------
class AnsweringPending:
    """Digiflazz's adapter whose status check answers "pending" in-process at once: the
    worker's and the database's cost of a poll, without the provider's own time (added by
    the model below). Registered in place of Digiflazz's for the measurement."""

    adapter_class = None

    @classmethod
    def from_settings(cls):
        if cls.adapter_class is None:
            from providers.base import ProviderResult, ProviderStatus
            from providers.digiflazz.adapter import DigiflazzAdapter

            class Adapter(DigiflazzAdapter):
                def check_order(self, request):
                    return ProviderResult(status=ProviderStatus.PENDING, rc="03", message="bench")

            cls.adapter_class = Adapter
        return cls.adapter_class.from_settings()


def bench_outage_drain() -> None:
    """100,000 Digiflazz orders due at once. Measured: every beat's claim (one UPDATE ...
    RETURNING per provider, up to the provider's budget) until none is due, and the cost of
    a poll (`orders_poll_claimed`, one thread, status calls answered in-process). Modelled:
    when the last order is asked, and the workers that takes."""
    import secrets

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from orders import pipeline
    from orders.models import Order, OrderStatus
    from providers import registry
    from providers.call_limits import provider_call_limits

    Order.objects.filter(code__startswith="TRX-BENCH-").delete()
    template = Order.objects.order_by("pk").first()
    now = timezone.now()
    started = time.perf_counter()
    for first in range(0, OUTAGE_ORDERS, 10_000):
        rows = []
        for n in range(first, first + 10_000):
            row = Order(
                **{
                    field.attname: getattr(template, field.attname)
                    for field in Order._meta.concrete_fields
                    if field.attname != "id"
                }
            )
            row.code = f"TRX-OUTAGE-{n:06d}"
            row.access_token = secrets.token_urlsafe(24)
            row.status = OrderStatus.PROCESSING
            row.needs_verification = False
            row.poll_claim = ""
            row.first_requested_at = now - timedelta(minutes=2)
            row.deadline_at = now + timedelta(hours=1)
            row.next_poll_at = now - timedelta(seconds=1 + n % 900)
            rows.append(row)
        Order.objects.bulk_create(rows, batch_size=2_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
    print(
        f"{OUTAGE_ORDERS:,} Digiflazz orders due at once (bulk-created in "
        f"{time.perf_counter() - started:.0f} s)"
    )

    limits = provider_call_limits("digiflazz")
    budget = pipeline.poll_budget("digiflazz")
    claim_times, claimed_per_beat, chunks = [], [], 0
    while True:
        started = time.perf_counter()
        claims = pipeline.orders_claim_due_by_provider()
        pairs = [(c.order_id, c.claim) for cs in claims.values() for c in cs]
        chunks += -(-len(pairs) // settings.POLL_CHUNK_SIZE)
        claim_times.append(time.perf_counter() - started)
        if not pairs:
            break
        claimed_per_beat.append(len(pairs))
    beats = len(claimed_per_beat)
    assert sum(claimed_per_beat) == OUTAGE_ORDERS, sum(claimed_per_beat)
    print(
        f"  claims: {beats} beats of up to {budget:,} (digiflazz at {limits.per_second:,.0f} "
        f"status calls/s x {BEAT.total_seconds():.0f} s), {chunks:,} poll tasks of "
        f"{settings.POLL_CHUNK_SIZE}; a beat's claim took {max(claim_times) * 1000:,.0f} ms "
        f"at most ({sum(claim_times):.1f} s in all)"
    )

    first_ids = Order.objects.filter(code__startswith="TRX-OUTAGE-").order_by("pk")
    Order.objects.filter(pk__in=first_ids.values("pk")[:POLL_SAMPLE]).update(
        next_poll_at=timezone.now()
    )
    sample = [(c.order_id, c.claim) for c in pipeline.orders_claim_due(limit=POLL_SAMPLE)]
    saved = registry.UPSTREAM_ADAPTERS["digiflazz"], settings.POLL_THREADS
    registry.UPSTREAM_ADAPTERS["digiflazz"] = "bench.bench_pipeline.AnsweringPending"
    settings.POLL_THREADS = 1  # the cost of one poll, not of the threads' overlap
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        polled = pipeline.orders_poll_claimed(provider_code="digiflazz", claims=sample)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        registry.UPSTREAM_ADAPTERS["digiflazz"], settings.POLL_THREADS = saved
    assert polled == len(sample), polled
    cpu_ms, wall_ms = cpu / polled * 1000, wall / polled * 1000
    print(
        f"  a poll (status call answered in-process, one thread): {wall_ms:.2f} ms, of which "
        f"{cpu_ms:.2f} ms worker CPU (the rest: PostgreSQL and the round trips); "
        f"{polled:,} polls measured"
    )

    # The model. A poll holds a concurrency permit for the provider's latency plus the
    # poll's own time, so the provider is asked at the lower of its rate and
    # concurrency / that time. The beat claims a budget every BEAT; the last order is asked
    # when the last budget's last call leaves, or when every order has been asked at the
    # pace the limits allow, whichever is later.
    poll_seconds = PROVIDER_LATENCY + wall / polled
    pace = min(limits.per_second, limits.concurrency / poll_seconds)
    last_claim = (beats - 1) * BEAT.total_seconds()
    drained = max(last_claim + claimed_per_beat[-1] / pace, OUTAGE_ORDERS / pace)
    in_flight = pace * poll_seconds
    threads = min(saved[1], limits.concurrency)
    processes = math.ceil(in_flight / threads)
    cores = pace * cpu / polled
    bound = "the rate" if pace == limits.per_second else "the concurrency limit"
    print(
        f"  model: asked at {pace:,.0f}/s (bound by {bound}: {limits.per_second:,.0f}/s, "
        f"{limits.concurrency} in flight x {poll_seconds * 1000:.0f} ms each, at a status "
        f"call of {PROVIDER_LATENCY * 1000:.0f} ms); the last order is asked "
        f"{drained:.0f} s after the outage ends (last claim at {last_claim:.0f} s); goal <= "
        f"{GOAL_DRAIN_SECONDS} s: {'met' if drained <= GOAL_DRAIN_SECONDS else 'NOT met'}"
    )
    print(
        f"  it takes {in_flight:.0f} polls in flight: {processes} worker processes x "
        f"{threads} threads, and {cores:.1f} worker cores at the measured CPU per poll; a "
        f"slower provider or lower limits (PROVIDER_STATUS_LIMITS) stretch the drain to "
        f"due orders / pace"
    )


if __name__ == "__main__":
    main()
