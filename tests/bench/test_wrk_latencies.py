"""bench_api reads wrk's latency histogram back to what was measured: wrk adds made-up
samples for coordinated omission (`stats_correct` in its stats.c), which a closed-loop
benchmark must not count."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from bench.bench_api import CLIENTS, _measured_latencies


def wrk_stats_correct(data: dict[int, int], expected: int) -> dict[int, int]:
    """wrk 4.1's stats_correct, line for line."""
    data = dict(data)
    for n in range(expected * 2, max(data) + 1):
        count = data.get(n, 0)
        m = n - expected
        while count and m > expected:
            data[m] = data.get(m, 0) + count
            m -= expected
    return data


def wrk_run(measured: dict[int, int], duration_us: int) -> dict:
    requests = sum(measured.values())
    reported = measured
    if requests // CLIENTS:
        reported = wrk_stats_correct(measured, duration_us // (requests // CLIENTS))
    return {
        "requests": requests,
        "duration_us": duration_us,
        "latency_us": {str(us): count for us, count in reported.items() if count},
    }


@given(
    measured=st.dictionaries(
        st.integers(min_value=1, max_value=3_000), st.integers(1, 50), min_size=1, max_size=60
    ),
    duration_us=st.integers(min_value=1_000, max_value=200_000),
)
def test_the_made_up_samples_are_taken_back_out(measured, duration_us):
    assert _measured_latencies(wrk_run(measured, duration_us)) == Counter(measured)


def test_a_slow_reply_counts_once():
    # 65 replies in 60 ms on 16 connections: e = 60,000 // (65 // 16) = 15,000 µs, so the
    # 95 ms reply makes wrk add samples at 80, 65, 50, 35 and 20 ms.
    measured = {10_000: 64, 95_000: 1}
    run = wrk_run(measured, duration_us=60_000)
    assert run["latency_us"] == {
        "10000": 64,
        "95000": 1,
        "80000": 1,
        "65000": 1,
        "50000": 1,
        "35000": 1,
        "20000": 1,
    }

    assert _measured_latencies(run) == Counter(measured)
