"""The account check's cache: a check answered from the cache (Redis) against one that asks
the provider, in the same run.

The provider is Digiflazz's simulator over real HTTP (the shop's WSGI app on a local
port, in a thread), so a miss costs what a real one costs here: the cache read, the rate
limit, the signed request, the call log row, the reply and the cache write. Measured, each
through `account_check` with a per-address rate limit:
- "miss": N checks of N new meter numbers (each asks the simulator);
- "hit": the same N checks again (each read from the cache, nobody asked).
Runs alternate (miss, hit) three times with fresh numbers; medians are printed as checks
per second and as the ratio hit ÷ miss, after every answer is proven.
"""

import secrets
import statistics
import sys
import threading
import time
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

N = 200
REPEATS = 3


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench._setup import setup_django_with_scratch_database

    setup_django_with_scratch_database("bench_account_check")

    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    from catalog.models import Brand, InputSchema
    from providers.account_check import account_check, rate_limit_for_address
    from providers.defaults import provider_ensure
    from providers.digiflazz.simulator import fake_pln_customer

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SIMULATORS_ENABLED = True
    settings.ACCOUNT_CHECKS_ENABLED = True
    settings.ACCOUNT_CHECKS_PER_ADDRESS_PER_MINUTE = 1_000_000
    settings.DIGIFLAZZ_BASE_URL = f"http://127.0.0.1:{server.server_port}/sim/digiflazz/v1"
    provider_ensure("digiflazz")
    brand = Brand.objects.create(name="PLN", slug="pln", input_schema=InputSchema.PLN)
    limits = (rate_limit_for_address("198.51.100.7"),)

    def run(meters: list[str], *, expect_cached: bool) -> float:
        started = time.perf_counter()
        results = [
            account_check(brand=brand, fields={"meter_number": meter}, rate_limits=limits)
            for meter in meters
        ]
        elapsed = time.perf_counter() - started
        for meter, result in zip(meters, results, strict=True):
            assert result.found, result
            assert result.cached is expect_cached
            assert result.name == fake_pln_customer(meter)["name"]
        return len(meters) / elapsed

    # fresh numbers every run (Redis outlives the scratch database); ending in 1, never one
    # of the simulator's scripted outage endings
    def new_meters() -> list[str]:
        stem = secrets.randbelow(10**5)
        return [f"5{stem:05d}{i:04d}1" for i in range(N)]

    run(new_meters()[:20], expect_cached=False)  # warm-up: connections, imports
    misses, hits = [], []
    for _ in range(REPEATS):
        meters = new_meters()
        misses.append(run(meters, expect_cached=False))
        hits.append(run(meters, expect_cached=True))
    server.shutdown()
    miss, hit = statistics.median(misses), statistics.median(hits)
    print(f"account check, {N} checks per run, median of {REPEATS}:")
    print(f"  miss (asks the simulator over HTTP): {miss:8.0f} checks/s")
    print(f"  hit (from the cache):                {hit:8.0f} checks/s")
    print(f"  hit ÷ miss: {hit / miss:.1f}")


if __name__ == "__main__":
    main()
