"""The per-key rate limit: a token bucket in Redis (shop.ratelimit), not a fixed window.

The boundary that tells them apart: a key that spent its minute's calls just before a minute
turns gets nothing more just after it (a fixed window would give it a whole minute's calls
again); it gets one call back every 60 / limit seconds."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from resellers.services import api_key_create
from shop.ratelimit import rate_limit_hit
from tests.resellers.conftest import ApiClient

BALANCE = "/api/v1/balance"
# 0.5 s before a minute turns: the end of a fixed window.
EDGE = datetime(2030, 1, 1, 0, 0, 59, 500_000, tzinfo=UTC)


def statuses(client: ApiClient, count: int) -> list[int]:
    return [client.get(BALANCE).status_code for _ in range(count)]


@pytest.mark.django_db
def test_a_key_that_spent_its_minute_gets_nothing_more_when_the_minute_turns(funded_reseller):
    _key, raw = api_key_create(user=funded_reseller, rate_limit_per_minute=3)
    client = ApiClient(raw)

    with time_machine.travel(EDGE, tick=False) as clock:
        assert statuses(client, 3) == [200, 200, 200]
        refused = client.get(BALANCE)
        clock.move_to(EDGE + timedelta(seconds=1))  # a new minute: a fixed window resets here
        still_refused = client.get(BALANCE)
        clock.move_to(EDGE + timedelta(seconds=20))  # one call back every 60 / 3 seconds
        one_more = statuses(client, 2)
        clock.move_to(EDGE + timedelta(seconds=60))
        next_minute = statuses(client, 3)

    assert refused.status_code == 429
    assert refused.json() == {
        "code": "rate_limited",
        "message": "Request was throttled. Expected available in 20 seconds.",
    }
    assert refused["Retry-After"] == "20"
    assert still_refused.status_code == 429
    assert still_refused["Retry-After"] == "19"
    assert one_more == [200, 429]
    # 40 s after the burst two calls have come back, not three.
    assert next_minute == [200, 200, 429]


@pytest.mark.django_db
def test_the_limit_is_per_key(funded_reseller):
    _key, limited = api_key_create(user=funded_reseller, rate_limit_per_minute=1)
    _other, other = api_key_create(user=funded_reseller, rate_limit_per_minute=1)

    with time_machine.travel(EDGE, tick=False):
        assert statuses(ApiClient(limited), 2) == [200, 429]
        assert statuses(ApiClient(other), 2) == [200, 429]


def test_calls_at_the_steady_rate_all_pass():
    key = uuid.uuid4().hex
    with time_machine.travel(EDGE, tick=False) as clock:
        for second in range(0, 600, 6):  # 10 a minute for 10 minutes
            clock.move_to(EDGE + timedelta(seconds=second))
            assert rate_limit_hit(key=key, limit=10).allowed, second


def test_concurrent_calls_never_take_more_than_the_bucket_holds():
    key = uuid.uuid4().hex
    barrier = threading.Barrier(20)

    def hit(_index):
        barrier.wait()
        return rate_limit_hit(key=key, limit=10).allowed

    with time_machine.travel(EDGE, tick=False), ThreadPoolExecutor(max_workers=20) as pool:
        allowed = list(pool.map(hit, range(20)))

    assert allowed.count(True) == 10


def test_without_redis_the_same_bucket_is_kept_in_the_process(settings):
    settings.REDIS_URL = ""
    key = uuid.uuid4().hex

    with time_machine.travel(EDGE, tick=False) as clock:
        burst = [rate_limit_hit(key=key, limit=3).allowed for _ in range(4)]
        clock.move_to(EDGE + timedelta(seconds=1))
        after_the_turn = rate_limit_hit(key=key, limit=3)
        clock.move_to(EDGE + timedelta(seconds=20))
        refilled = rate_limit_hit(key=key, limit=3)

    assert burst == [True, True, True, False]
    assert (after_the_turn.allowed, after_the_turn.retry_after) == (False, 19)
    assert refilled.allowed


def test_an_unreachable_redis_lets_calls_through_with_a_warning(settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    decision = rate_limit_hit(key=uuid.uuid4().hex, limit=1)

    assert decision.allowed
    assert "Redis failed" in caplog.text
