"""Reseller API on PostgreSQL: orders created per second with 16 clients, in two layouts.

Three endpoints in the same run, all behind the same API-key authentication:
- `POST /bench/noop`: authentication and DRF only (baseline 1);
- `POST /bench/transfer`: one ledger transfer, 1.00 from the reseller to sales (baseline 2);
- `POST /api/v1/orders`: a real order of a shop item with two routes (`item_id`: routed to
  the cheaper), created and paid from the wallet; placement is queued
  on the broker (Celery not eager) and not awaited; the broker is purged at the end.
Each through two layouts: threaded gunicorn (WORKERS x THREADS gthread, the layout before
issue 25) and the one docker-compose.yml ships for the API: nginx
(deploy/nginx/shop.conf.template) in front of SYNC_WORKERS sync workers; skipped, with a
line saying so, when nginx is not installed.
The load comes from wrk (bench/wrk_post.lua): CLIENTS keep-alive connections, each sending
its next request when the last reply came, so the client's own cost stays out of the
server's two cores. Each endpoint gets WARM_UP_SECONDS, then SECONDS in ROUNDS rounds that
take the endpoints in turn, so a change in the machine's other load weighs on all three
alike. Every reply must be 2xx, and afterwards each answered order request must have made
one order with one debit. Prints requests/s, p50 and p99 latency (from the rounds' merged
histograms, without wrk's made-up samples), orders/s ÷ no-op/s (goal ≥ 0.35) and ÷
transfers/s (goal ≥ 0.5), p99 (goal < 100 ms); the CPU each request cost the web server
(gunicorn and nginx processes) and the PostgreSQL backends of its connections, read from
/proc (bench/proc_cpu.py; goal ≤ 6 ms per order); and how long each order held its hot
rows locked, from the lock to the commit (bench/lock_times.py), with the orders/s ceiling
that puts on one shop (goal ≥ 1,000). The core count is printed: the figures depend on it.
BENCH_API_SECONDS, _CLIENTS, _WORKERS, _THREADS and _SYNC_WORKERS change the run's shape.
"""

import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

SECONDS = int(os.environ.get("BENCH_API_SECONDS", 40))
ROUNDS = 4
WARM_UP_SECONDS = 3
CLIENTS = int(os.environ.get("BENCH_API_CLIENTS", 16))
WORKERS = int(os.environ.get("BENCH_API_WORKERS", 4))
THREADS = int(os.environ.get("BENCH_API_THREADS", 4))
SYNC_WORKERS = int(os.environ.get("BENCH_API_SYNC_WORKERS", 5))
_RUNS = itertools.count()

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.proc_cpu import (  # noqa: E402 (after the path that finds it)
    postgres_backend_pids,
    process_cpu_seconds,
    readable,
    tree_cpu_seconds,
)


def main() -> None:
    base_dir = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(base_dir))
    from bench._setup import setup_django_with_scratch_database

    if shutil.which("wrk") is None:
        sys.exit("bench_api needs wrk: apt-get install -y wrk")
    setup_django_with_scratch_database("bench_api")

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
    # Routing on: the item has a second, cheaper route of another provider; every order
    # is routed (`item_id`) and goes to it.
    cheaper = ProductFactory(
        shop_item=product.shop_item, brand=product.brand, cost=product.cost - Decimal("100")
    )
    PricingRuleFactory(tier=PriceTier.RESELLER, percent=Decimal("2"))
    catalog_reprice_product(product=product)
    catalog_reprice_product(product=cheaper)
    reseller = User.objects.create_user(
        username="bench", role=UserRole.RESELLER, price_tier=PriceTier.RESELLER
    )
    wallet_adjust(
        wallet=wallet_for_user(user=reseller), amount=Decimal("1e12"), reason="bench funding"
    )
    _key, raw_key = api_key_create(user=reseller, rate_limit_per_minute=100_000)

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_POOL": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": settings.REDIS_URL,
        "LOG_LEVEL": "WARNING",
    }
    wrk_env = {**os.environ, "BENCH_API_KEY": raw_key, "BENCH_ITEM_ID": str(product.shop_item_id)}
    connection.close()  # the bench's own backend stays out of the PostgreSQL CPU
    layouts = [ThreadedGunicorn(base_dir, env)]
    nginx = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
    )
    if nginx:
        layouts.append(SyncWorkersBehindNginx(base_dir, env, nginx=nginx))
    all_order_runs = []
    try:
        for layout in layouts:
            results, cpu, lock_seconds, order_runs = _measure(
                layout, wrk_env=wrk_env, database=db["NAME"]
            )
            all_order_runs += order_runs
            _report(layout, results, cpu, lock_seconds)
    finally:
        app.control.purge()
    if not nginx:
        print("  (nginx not found: the layout docker-compose.yml ships was not measured)")
    _check_one_paid_order_per_request(runs=all_order_runs)


CASES = [
    ("no-op (auth only)", "/bench/noop", "empty"),
    ("one ledger transfer", "/bench/transfer", "empty"),
    ("order create + pay", "/api/v1/orders", "order"),
]


def _measure(layout, *, wrk_env: dict, database: str):
    """The three endpoints through `layout`: results, CPU, lock-time samples, order runs."""
    from bench import lock_times

    lock_dir = Path(tempfile.mkdtemp(prefix="bench_api_locks_"))
    base = layout.start(lock_dir=lock_dir)
    try:
        _wait_for(base)
        warm_ups = [_wrk(base + path, kind, WARM_UP_SECONDS, wrk_env) for _, path, kind in CASES]
        totals = {name: [] for name, *_ in CASES}
        cpu = {name: CpuUse() for name, *_ in CASES}
        for _round in range(ROUNDS):
            for name, path, kind in CASES:
                with cpu[name].measuring(layout=layout, database=database):
                    totals[name].append(_wrk(base + path, kind, SECONDS // ROUNDS, wrk_env))
    finally:
        layout.stop()  # gunicorn finishes the requests wrk left in flight
    lock_seconds = lock_times.read(lock_dir)
    shutil.rmtree(lock_dir, ignore_errors=True)
    results = {
        name: (_summary(runs), sum(r["requests"] for r in runs)) for name, runs in totals.items()
    }
    return results, cpu, lock_seconds, [warm_ups[-1], *totals["order create + pay"]]


def _report(layout, results, cpu, lock_seconds) -> None:
    print(
        f"{layout.description}, {CLIENTS} clients, {SECONDS} s per endpoint in {ROUNDS} "
        f"rounds (wrk), {os.cpu_count()} CPU cores"
    )
    for name, ((rate, p50, p99), requests) in results.items():
        web_ms, db_ms = cpu[name].per_request_ms(requests)
        print(
            f"  {name:22s} {rate:8.1f}/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
            f"CPU/request: web {web_ms:5.2f} ms + PostgreSQL {db_ms:5.2f} ms"
        )
    (orders, order_requests) = results["order create + pay"]
    transfers, noop = results["one ledger transfer"][0], results["no-op (auth only)"][0]
    order_cpu_ms = sum(cpu["order create + pay"].per_request_ms(order_requests))
    print(
        f"  orders/s ÷ no-op/s = {orders[0] / noop[0]:.2f} (goal ≥ 0.35); "
        f"orders/s ÷ transfers/s = {orders[0] / transfers[0]:.2f} (goal ≥ 0.5); "
        f"order p99 {orders[2]:.1f} ms (goal < 100 ms); "
        f"CPU per order {order_cpu_ms:.2f} ms (goal ≤ 6 ms)"
    )
    _print_lock_ceiling(lock_seconds)


class ThreadedGunicorn:
    """The layout before issue 25: gunicorn gthread workers (WORKERS x THREADS), no proxy."""

    def __init__(self, base_dir: Path, env: dict):
        self.base_dir, self.env = base_dir, env
        self.description = f"gunicorn {WORKERS} workers x {THREADS} threads (gthread)"
        self.processes: list[subprocess.Popen] = []

    def start(self, *, lock_dir: Path) -> str:
        port = _free_port()
        self.processes = [
            _gunicorn(
                self.base_dir,
                {**self.env, "DATABASE_POOL_MIN_SIZE": str(THREADS)},
                lock_dir=lock_dir,
                bind=f"127.0.0.1:{port}",
                workers=WORKERS,
                worker_args=("--worker-class", "gthread", "--threads", str(THREADS)),
                pool_size=THREADS,
            )
        ]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(timeout=30)


class SyncWorkersBehindNginx(ThreadedGunicorn):
    """What docker-compose.yml ships for the API: nginx (deploy/nginx/shop.conf.template,
    buffering) in front of SYNC_WORKERS sync gunicorn workers, one database connection
    each. Both of the template's upstreams are that pool (the bench's baselines are not
    under /api/)."""

    def __init__(self, base_dir: Path, env: dict, *, nginx: str):
        super().__init__(base_dir, env)
        self.nginx = nginx
        self.description = f"nginx + gunicorn {SYNC_WORKERS} sync workers (docker-compose.yml)"

    def start(self, *, lock_dir: Path) -> str:
        gunicorn_port, port = _free_port(), _free_port()
        gunicorn = _gunicorn(
            self.base_dir,
            self.env,
            lock_dir=lock_dir,
            bind=f"127.0.0.1:{gunicorn_port}",
            workers=SYNC_WORKERS,
            worker_args=("--worker-class", "sync"),
            pool_size=1,
        )
        self.prefix = Path(tempfile.mkdtemp(prefix="bench_api_nginx_"))
        self.prefix.chmod(0o755)  # nginx's workers may run as another user
        template = (self.base_dir / "deploy/nginx/shop.conf.template").read_text()
        upstream = f"127.0.0.1:{gunicorn_port}"
        site = (
            template.replace("${WEB_UPSTREAM}", upstream)
            .replace("${API_UPSTREAM}", upstream)
            .replace("${LISTEN}", f"127.0.0.1:{port}")
        )
        temp_paths = "\n".join(
            f"    {kind}_temp_path {self.prefix / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.prefix / "nginx.conf").write_text(
            "worker_processes 1;\n"
            f"pid {self.prefix / 'nginx.pid'};\n"
            "events { worker_connections 1024; }\n"
            "http {\n    access_log off;\n"
            f"{temp_paths}\n{site}\n}}\n"
        )
        proxy = subprocess.Popen(
            [
                *(self.nginx, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")),
                *("-e", str(self.prefix / "error.log"), "-g", "daemon off;"),
            ]
        )
        self.processes = [proxy, gunicorn]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.prefix, ignore_errors=True)


def _gunicorn(
    base_dir: Path,
    env: dict,
    *,
    lock_dir: Path,
    bind: str,
    workers: int,
    worker_args: tuple,
    pool_size: int,
) -> subprocess.Popen:
    command = [
        *(sys.executable, "-m", "gunicorn", "bench.api_wsgi:application"),
        *("--config", "python:bench.gunicorn_hooks", "--bind", bind),
        *("--workers", str(workers), *worker_args, "--log-level", "warning"),
    ]
    env = {
        **env,
        "BENCH_LOCK_TIMES_DIR": str(lock_dir),
        "DATABASE_POOL_MIN_SIZE": str(pool_size),
        "DATABASE_POOL_MAX_SIZE": str(pool_size),
    }
    return subprocess.Popen(command, cwd=base_dir, env=env)


class CpuUse:
    """CPU seconds spent by the web server (master and workers) and by the PostgreSQL
    backends of its connections while `measuring`, summed over the runs."""

    def __init__(self):
        self.web = self.database = 0.0

    @contextlib.contextmanager
    def measuring(self, *, layout, database: str):
        backends = [pid for pid in postgres_backend_pids(database=database) if readable(pid)]
        servers = [process.pid for process in layout.processes]
        web_before = sum(tree_cpu_seconds(pid) for pid in servers)
        db_before = {pid: process_cpu_seconds(pid) for pid in backends}
        yield
        self.web += sum(tree_cpu_seconds(pid) for pid in servers) - web_before
        self.database += sum(
            max(process_cpu_seconds(pid) - before, 0.0) for pid, before in db_before.items()
        )

    def per_request_ms(self, requests: int) -> tuple[float, float]:
        requests = max(requests, 1)
        return self.web * 1000 / requests, self.database * 1000 / requests


def _print_lock_ceiling(samples: list[float]) -> None:
    """The hot rows' lock-to-commit time and the orders/s it allows one shop: every order
    locks the one `sales` row, so orders go through it one at a time."""
    if not samples:
        print("  hot rows: no lock-time samples (the workers wrote none)")
        return
    samples = sorted(samples)
    mean = sum(samples) / len(samples)
    p50, p99 = samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        f"  hot rows (reseller wallet + sales) locked per order, lock to commit: "
        f"p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, mean {mean * 1000:.2f} ms "
        f"over {len(samples)} orders -> ceiling {1 / mean:,.0f} orders/s per hot row "
        f"(goal ≥ 1,000)"
    )


def _check_one_paid_order_per_request(*, runs: list[dict]) -> None:
    """Each answered order request made one order with one wallet debit. wrk stops with up
    to CLIENTS requests in flight that it never counts, so up to that many more per run."""
    from resellers.models import ApiOrder
    from wallets.models import Transfer, TransferReason

    answered = sum(run["requests"] for run in runs)
    orders = ApiOrder.objects.count()
    debits = Transfer.objects.filter(
        reason=TransferReason.PURCHASE, idempotency_key__endswith=":debit"
    ).count()
    if not answered <= orders <= answered + CLIENTS * len(runs) or debits != orders:
        raise RuntimeError(f"{answered} order replies, {orders} orders, {debits} debits")
    # routing on: every order went to the item's cheaper route
    routes = set(ApiOrder.objects.values_list("order__product__cost", flat=True).distinct())
    if len(routes) != 1:
        raise RuntimeError(f"orders went to routes of costs {sorted(routes)}, not one")


def _wrk(url: str, kind: str, seconds: int, env: dict) -> dict:
    """One wrk run: CLIENTS keep-alive connections for `seconds`; its JSON summary line."""
    run = next(_RUNS)
    threads = min(2, CLIENTS)  # wrk's event loops; two keep its own cost small
    command = [
        *("wrk", f"--threads={threads}", f"--connections={CLIENTS}", f"--duration={seconds}s"),
        *("--timeout=30s", f"--script={Path(__file__).with_name('wrk_post.lua')}"),
        *(url, "--", kind, f"R{run}"),
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    summary = json.loads(output.strip().splitlines()[-1])
    if summary["bad_status"] or summary["socket_errors"]:
        counts = {key: summary[key] for key in ("requests", "bad_status", "socket_errors")}
        raise RuntimeError(f"{url}: 4xx/5xx replies or socket errors: {counts}")
    return summary


def _summary(runs: list[dict]) -> tuple[float, float, float]:
    """Requests/s over all runs, and p50 and p99 in ms of their measured latencies."""
    histogram: Counter = Counter()
    for run in runs:
        histogram.update(_measured_latencies(run))
    total = sum(histogram.values())
    seconds = sum(run["duration_us"] for run in runs) / 1e6

    def percentile(fraction: float) -> float:
        seen = 0
        for us in sorted(histogram):
            seen += histogram[us]
            if seen >= fraction * total:
                return us / 1000
        return 0.0

    return sum(run["requests"] for run in runs) / seconds, percentile(0.5), percentile(0.99)


def _measured_latencies(run: dict) -> Counter:
    """The latencies wrk measured, {microseconds: count}, without the ones it adds.

    Before its summary, wrk "corrects" for coordinated omission (`stats_correct`): with
    `e` = duration ÷ (requests ÷ connections), every measured latency `n` >= 2e adds
    made-up samples at n - e, n - 2e, ... (while above e), as if requests had been due at
    a fixed rate. These clients send each request when the last reply came (the issue's
    16 concurrent clients), so the made-up samples are taken back out, from the top down:
    measured[n] = reported[n] - (measured[n + e] + measured[n + 2e] + ...) for n > e.
    The result must count exactly the requests wrk answered."""
    reported = {int(us): count for us, count in run["latency_us"].items()}
    if run["requests"] < CLIENTS:  # too few for wrk to correct anything
        return Counter(reported)
    e = run["duration_us"] // (run["requests"] // CLIENTS)
    measured: Counter = Counter()
    above: dict[int, int] = {}  # n -> measured[n] + measured[n + e] + ...
    for n in range(max(reported), 0, -1):
        count = reported.get(n, 0) - (above.get(n + e, 0) if n > e else 0)
        above[n] = count + above.get(n + e, 0)
        if count:
            measured[n] = count
    if sum(measured.values()) != run["requests"] or min(measured.values()) < 0:
        raise RuntimeError("wrk's latency correction could not be taken back out")
    return measured


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(base: str) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/developers/api/", timeout=2).status_code < 500:
                return  # not nginx's 502 while gunicorn starts
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


if __name__ == "__main__":
    main()
