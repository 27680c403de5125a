"""Rate limits as a token bucket (GCRA), one atomic Redis call per check.

`rate_limit_hit(key=..., limit=60, period=60)` allows a burst of `limit` calls, then one
more every `period / limit` seconds: a smooth limit with no window edge, so a client cannot
make twice `limit` calls around the turn of a minute as with a fixed window.

GCRA keeps one number per key, the "theoretical arrival time" (TAT): when the bucket would
be full again. A call at `now` is allowed if `TAT - now <= period - interval`, and then moves
the TAT on by one interval. The check and the move are one Lua script, so concurrent calls
from many processes never both take the last token. Times are integer microseconds from the
web servers' clocks (kept by NTP), passed in so tests can move the clock.

Without `REDIS_URL` (the embedded defaults of `make run`) the buckets live in the process.
If Redis is unreachable the call is allowed and a warning logged: a rate limit must not
take the API down with it.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "ratelimit:"
_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return {0, wait} end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000))
return {1, 0}
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int  # whole seconds until the next call may pass; 0 when allowed


_clients: dict[str, redis.Redis] = {}
_scripts: dict[str, "redis.commands.core.Script"] = {}
_local_tats: dict[str, int] = {}
_local_lock = threading.Lock()


def _redis_script(url: str):
    """The GCRA script on a client for `url` (made once per process; EVALSHA after the
    first call, so one round trip)."""
    script = _scripts.get(url)
    if script is None:
        script = _scripts[url] = redis_client(url).register_script(_GCRA)
    return script


def redis_client(url: str) -> redis.Redis:
    """One client per Redis URL per process, with short timeouts (a limit never hangs)."""
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=1
        )
    return client


def _local(key: str, now: int, interval: int, tolerance: int) -> int:
    """The Lua script's logic for one process; returns the wait (<= 0: allowed)."""
    with _local_lock:
        tat = max(_local_tats.get(key, 0), now)
        wait = tat - tolerance - now
        if wait <= 0:
            _local_tats[key] = tat + interval
        return wait


def _bucket(limit: int, period: int) -> tuple[int, int, int]:
    """(now, interval, tolerance) in microseconds."""
    interval = max(period * 1_000_000 // limit, 1)
    return int(time.time() * 1_000_000), interval, period * 1_000_000 - interval


def _decision(wait: int) -> RateDecision:
    retry_after = max(math.ceil(wait / 1_000_000), 1) if wait else 0
    return RateDecision(allowed=wait == 0, retry_after=retry_after)


def rate_limit_peek(*, key: str, limit: int, period: int = 60) -> RateDecision:
    """Whether a call would pass `key`'s bucket now, counting nothing: for limits that count
    only some calls (which ones is known only after the call), checked before it."""
    now, _interval, tolerance = _bucket(limit, period)
    if settings.REDIS_URL:
        try:
            stored = redis_client(settings.REDIS_URL).get(KEY_PREFIX + key)
        except redis.RedisError as exc:
            logger.warning("rate limit %s not checked, Redis failed: %s", key, exc)
            return RateDecision(allowed=True, retry_after=0)
        tat = int(stored or 0)
    else:
        with _local_lock:
            tat = _local_tats.get(KEY_PREFIX + key, 0)
    return _decision(max(max(tat, now) - tolerance - now, 0))


def rate_limit_hit(*, key: str, limit: int, period: int = 60) -> RateDecision:
    """Count one call against `key`'s bucket of `limit` calls per `period` seconds."""
    now, interval, tolerance = _bucket(limit, period)
    if settings.REDIS_URL:
        try:
            allowed, wait = _redis_script(settings.REDIS_URL)(
                keys=[KEY_PREFIX + key], args=[now, interval, tolerance]
            )
        except redis.RedisError as exc:
            logger.warning("rate limit %s not checked, Redis failed: %s", key, exc)
            return RateDecision(allowed=True, retry_after=0)
        wait = 0 if allowed else int(wait)
    else:
        wait = max(_local(KEY_PREFIX + key, now, interval, tolerance), 0)
    return _decision(wait)
