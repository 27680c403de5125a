"""The Hubble simulator's state outside the database: bearer tokens and the partner wallet.

Both live in Django's cache (Redis in tests and production, shared by every process).
Test hooks: TOKEN_LIFETIME_SECONDS, revoke_token, revoke_all_tokens, login_count,
set_wallet_balance.
"""

import secrets
import time
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache

TOKEN_LIFETIME_SECONDS = 3600  # what login answers as expiresInSecs; tests lower it
START_BALANCE = Decimal("500000.00")

_ISSUED_PREFIX = "sim:hubble:issued:"
_GENERATION_KEY = "sim:hubble:token-generation"
_LOGINS_KEY = "sim:hubble:logins"
_WALLET_KEY = "sim:hubble:wallet-paise"


def _generation() -> int:
    return cache.get(_GENERATION_KEY, 0)


def issue_token(client_id: str) -> tuple[str, int]:
    lifetime = int(TOKEN_LIFETIME_SECONDS)
    token = secrets.token_urlsafe(32)
    entry = {"client_id": client_id, "expires_at": time.time() + lifetime, "gen": _generation()}
    cache.set(_ISSUED_PREFIX + token, entry, timeout=lifetime + 1)
    _counter_add(_LOGINS_KEY, 1)
    return token, lifetime


def token_is_valid(token: str) -> bool:
    entry = cache.get(_ISSUED_PREFIX + token) if token else None
    return (
        isinstance(entry, dict)
        and entry["expires_at"] > time.time()
        and entry["gen"] == _generation()
        and entry["client_id"] == settings.HUBBLE_CLIENT_ID
    )


def revoke_token(token: str) -> None:
    """Make one token invalid, as Hubble might before its expiry."""
    cache.delete(_ISSUED_PREFIX + token)


def revoke_all_tokens() -> None:
    """Make every token issued so far invalid."""
    cache.set(_GENERATION_KEY, _generation() + 1, timeout=None)


def login_count() -> int:
    """How many tokens the simulator has issued since the cache was last cleared."""
    return cache.get(_LOGINS_KEY, 0)


def _counter_add(key: str, delta: int, *, start: int = 0) -> int:
    """Add `delta` to a counter that never expires (INCRBY on Redis, so atomic there)."""
    cache.add(key, start, timeout=None)
    value = cache.incr(key, delta)
    cache.touch(key, timeout=None)  # caches whose incr rewrites the entry would expire it
    return value


def _paise(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def wallet_balance() -> Decimal:
    return Decimal(_counter_add(_WALLET_KEY, 0, start=_paise(START_BALANCE))) / 100


def set_wallet_balance(amount: Decimal) -> None:
    cache.set(_WALLET_KEY, _paise(amount), timeout=None)


def wallet_debit(amount: Decimal) -> bool:
    """Take `amount` from the wallet if it holds that much."""
    if _counter_add(_WALLET_KEY, -_paise(amount), start=_paise(START_BALANCE)) < 0:
        wallet_credit(amount)
        return False
    return True


def wallet_credit(amount: Decimal) -> None:
    _counter_add(_WALLET_KEY, _paise(amount), start=_paise(START_BALANCE))
