"""How hard the shop may ask a provider about its orders: a rate (status calls per second)
and a concurrency (status calls in flight), each shared by every worker process.

Both live in Redis, not in Celery: Celery's `rate_limit` is counted per worker process and
knows nothing of calls in flight, while a provider's limit is one number for our whole
account, however many workers ask. Times come from the Redis server (`TIME` inside the
scripts), so workers' clocks (and a test's travelling clock) never skew the count.

- The rate is a GCRA token bucket that hands out slots in the future: a caller takes the
  next free slot and sleeps until it (no polling of Redis), or takes none when it is more
  than `max_wait` away.
- The concurrency is a sorted set of permits that each expire after `PERMIT_TTL`, so a
  killed worker's permits free themselves.

Without `REDIS_URL` (the embedded defaults of `make run`: one worker process) both are kept
in the process. If Redis fails the call goes ahead and a warning is logged, as with the
reseller rate limit (`shop.ratelimit`): a limiter must not stop the polls it paces.
"""

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from django.conf import settings

from shop.ratelimit import redis_client

logger = logging.getLogger(__name__)

KEY_PREFIX = "providercalls:"
# A permit outlives any status call (read timeout 20 s, and the poll's own writes).
PERMIT_TTL_SECONDS = 60
MAX_WAIT_SECONDS = 5.0  # longer than this, and the order is left for the next beat
_SLOT_RETRY_SECONDS = 0.02

_RATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if wait > max_wait then return {0, wait} end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
return {1, wait}
"""
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""


class ProviderBusy(Exception):
    """No rate slot or concurrency permit within the wait allowed: ask later."""


@dataclass(frozen=True)
class CallLimits:
    per_second: float
    concurrency: int


def provider_call_limits(code: str) -> CallLimits:
    """`code`'s limits: `PROVIDER_STATUS_LIMITS` ("rate:concurrency" per provider code),
    else the shared `PROVIDER_STATUS_RATE` and `PROVIDER_STATUS_CONCURRENCY`."""
    override = settings.PROVIDER_STATUS_LIMITS.get(code, "")
    if override:
        rate, _, concurrency = override.partition(":")
        return CallLimits(
            per_second=float(rate),
            concurrency=int(concurrency or settings.PROVIDER_STATUS_CONCURRENCY),
        )
    return CallLimits(
        per_second=float(settings.PROVIDER_STATUS_RATE),
        concurrency=settings.PROVIDER_STATUS_CONCURRENCY,
    )


@contextmanager
def provider_call_permit(code: str, *, max_wait: float = MAX_WAIT_SECONDS) -> Iterator[None]:
    """Hold one of `code`'s concurrency permits, after its rate allowed one more call, for
    the `with` block. Waits (sleeping) at most about `max_wait` seconds for each; raises
    ProviderBusy when either is not to be had by then (nothing is taken in that case)."""
    limits = provider_call_limits(code)
    deadline = time.monotonic() + max_wait
    permit = _acquire_permit(code, limits.concurrency, deadline)
    try:
        _take_rate_slot(code, limits.per_second, max(deadline - time.monotonic(), 0))
        yield
    finally:
        _release_permit(code, permit)


# --- the rate ------------------------------------------------------------------------------
_local_tats: dict[str, float] = {}
_local_lock = threading.Lock()


def _take_rate_slot(code: str, per_second: float, max_wait: float) -> None:
    """Take the next of `code`'s rate slots, sleeping until it comes."""
    interval_us = max(int(1_000_000 / per_second), 1)
    # A burst of at most one second's worth of calls, then the steady rate.
    tolerance_us = max(1_000_000 - interval_us, 0)
    if settings.REDIS_URL:
        try:
            taken, wait_us = _script(_RATE)(
                keys=[f"{KEY_PREFIX}rate:{code}"],
                args=[interval_us, tolerance_us, int(max_wait * 1_000_000)],
            )
        except redis.RedisError as exc:
            logger.warning("provider rate of %s not checked, Redis failed: %s", code, exc)
            return
    else:
        taken, wait_us = _local_rate(code, interval_us, tolerance_us, max_wait)
    if not taken:
        raise ProviderBusy(f"{code}: no status call allowed within {max_wait:.1f} s")
    if wait_us:
        time.sleep(wait_us / 1_000_000)


def _local_rate(code: str, interval_us: int, tolerance_us: int, max_wait: float):
    now = time.monotonic() * 1_000_000
    with _local_lock:
        tat = max(_local_tats.get(code, 0), now)
        wait = max(tat - tolerance_us - now, 0)
        if wait > max_wait * 1_000_000:
            return 0, wait
        _local_tats[code] = tat + interval_us
        return 1, wait


# --- the concurrency -----------------------------------------------------------------------
_local_permits: dict[str, int] = {}


def _acquire_permit(code: str, concurrency: int, deadline: float) -> str | None:
    """A permit token (None when Redis failed and the call goes ahead unlimited)."""
    token = uuid.uuid4().hex
    while True:
        if settings.REDIS_URL:
            try:
                got = _script(_ACQUIRE)(
                    keys=[f"{KEY_PREFIX}inflight:{code}"],
                    args=[concurrency, PERMIT_TTL_SECONDS * 1000, token],
                )
            except redis.RedisError as exc:
                logger.warning("provider permits of %s not checked, Redis failed: %s", code, exc)
                return None
        else:
            with _local_lock:
                got = _local_permits.get(code, 0) < concurrency
                if got:
                    _local_permits[code] = _local_permits.get(code, 0) + 1
        if got:
            return token
        if time.monotonic() >= deadline:
            raise ProviderBusy(f"{code}: {concurrency} status calls already in flight")
        time.sleep(_SLOT_RETRY_SECONDS)


def _release_permit(code: str, token: str | None) -> None:
    if token is None:
        return
    if not settings.REDIS_URL:
        with _local_lock:
            _local_permits[code] -= 1
        return
    try:
        redis_client(settings.REDIS_URL).zrem(f"{KEY_PREFIX}inflight:{code}", token)
    except redis.RedisError as exc:  # the permit expires by itself
        logger.warning("provider permit of %s not released, Redis failed: %s", code, exc)


_scripts: dict[tuple[str, str], "redis.commands.core.Script"] = {}


def _script(source: str):
    key = (settings.REDIS_URL, source)
    script = _scripts.get(key)
    if script is None:
        script = _scripts[key] = redis_client(settings.REDIS_URL).register_script(source)
    return script
