"""Hubble's bearer token, shared by every process through Django's cache (Redis).

One token per (base URL, client id). It is renewed a margin before `expiresInSecs` runs out,
and concurrent callers that find no usable token share ONE login: the first takes a lock
(`cache.add`, which only one caller can win), the others wait for the token it stores.
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache as default_cache

from providers.base import TransientProviderError

logger = logging.getLogger(__name__)

# Renew this long before expiry: 10% of the lifetime, at most a minute.
REFRESH_MARGIN_FRACTION = 0.1
REFRESH_MARGIN_MAX_SECONDS = 60.0
WAIT_INTERVAL_SECONDS = 0.05


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in_seconds: float


def token_cache_key(base_url: str, client_id: str) -> str:
    """The cache key of one account's token (hashed: URLs hold characters some caches
    refuse in keys)."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}|{client_id}".encode()).hexdigest()[:24]
    return f"providers:hubble:token:{digest}"


def refresh_margin(expires_in_seconds: float) -> float:
    return min(REFRESH_MARGIN_MAX_SECONDS, expires_in_seconds * REFRESH_MARGIN_FRACTION)


class HubbleTokenCache:
    """Hands out a valid token for one Hubble account, logging in only when needed.

    Guarantees: a token is never handed out after `expires_in - margin`; callers that need
    a token at the same time cause one login; `invalidate(token)` drops only that token,
    so a caller holding a stale token cannot throw away a fresher one.
    """

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        login: Callable[[], IssuedToken],
        lock_seconds: float = 30.0,
        cache=None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.key = token_cache_key(base_url, client_id)
        self.lock_key = f"{self.key}:lock"
        self._login = login
        self.lock_seconds = lock_seconds
        self.cache = cache or default_cache
        self.clock = clock
        self.sleep = sleep

    def get(self) -> str:
        """A token valid for at least the margin; logs in (once across processes) if not."""
        token = self._cached()
        if token:
            return token
        deadline = time.monotonic() + self.lock_seconds + 1
        while True:
            owner = uuid.uuid4().hex
            if self.cache.add(self.lock_key, owner, timeout=max(1, int(self.lock_seconds))):
                try:
                    # Another caller may have stored a token between our read and the lock.
                    return self._cached() or self._login_and_store()
                finally:
                    if self.cache.get(self.lock_key) == owner:
                        self.cache.delete(self.lock_key)
            # Someone else is logging in: wait for the token, or for the lock to go away
            # (their login failed), then try again.
            while self.cache.get(self.lock_key) is not None:
                token = self._cached()
                if token:
                    return token
                if time.monotonic() > deadline:
                    raise TransientProviderError(
                        "timed out waiting for another Hubble login", code="login_wait"
                    )
                self.sleep(WAIT_INTERVAL_SECONDS)
            token = self._cached()
            if token:
                return token

    def invalidate(self, token: str) -> None:
        """Forget `token` (after a 401), unless a newer one has already replaced it."""
        entry = self.cache.get(self.key)
        if isinstance(entry, dict) and entry.get("token") == token:
            self.cache.delete(self.key)

    def _cached(self) -> str:
        entry = self.cache.get(self.key)
        if not isinstance(entry, dict):
            return ""
        if self.clock() >= entry.get("refresh_at", 0):
            return ""
        return entry.get("token", "")

    def _login_and_store(self) -> str:
        issued = self._login()
        lifetime = max(0.0, float(issued.expires_in_seconds))
        refresh_at = self.clock() + lifetime - refresh_margin(lifetime)
        self.cache.set(
            self.key,
            {"token": issued.token, "refresh_at": refresh_at},
            timeout=max(1, int(lifetime)),
        )
        logger.info("hubble: logged in, token valid for %.0f s", lifetime)
        return issued.token
