"""The shared token cache: expiry margin, one login for many callers, invalidation."""

import threading
import time

import pytest
import responses
from django.core.cache import cache

from providers.base import TransientProviderError
from providers.hubble.auth import HubbleTokenCache, IssuedToken, refresh_margin, token_cache_key
from tests.providers.hubble.conftest import API, BASE


class FakeClock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class CountingLogin:
    """A login that hands out tok-1, tok-2, ... and can be slowed down or made to fail."""

    def __init__(self, *, lifetime: float = 3600, delay: float = 0.0, fail_first: bool = False):
        self.count = 0
        self.lifetime = lifetime
        self.delay = delay
        self.fail_first = fail_first
        self._lock = threading.Lock()

    def __call__(self) -> IssuedToken:
        with self._lock:
            self.count += 1
            number = self.count
        time.sleep(self.delay)
        if self.fail_first and number == 1:
            raise TransientProviderError("login timed out")
        return IssuedToken(f"tok-{number}", self.lifetime)


def token_cache(login, clock=None, client_id="partner-1") -> HubbleTokenCache:
    return HubbleTokenCache(
        base_url=BASE, client_id=client_id, login=login, lock_seconds=5, clock=clock or FakeClock()
    )


def test_margin_is_ten_percent_up_to_a_minute():
    assert refresh_margin(3600) == 60
    assert refresh_margin(100) == 10


def test_key_depends_on_base_url_and_client_id():
    keys = {
        token_cache_key(BASE, "a"),
        token_cache_key(BASE + "/", "a"),
        token_cache_key(BASE, "b"),
        token_cache_key("https://other.test", "a"),
    }
    assert len(keys) == 3  # a trailing slash is the same base URL


def test_token_is_reused_until_the_margin_then_renewed_before_use():
    clock, login = FakeClock(), CountingLogin(lifetime=3600)
    tokens = token_cache(login, clock)

    assert tokens.get() == "tok-1"
    clock.now += 3600 - 60 - 1  # one second before the margin
    assert tokens.get() == "tok-1"
    clock.now += 1  # the margin reached: renewed although Hubble would still accept it
    assert tokens.get() == "tok-2"
    assert login.count == 2


def test_token_is_shared_by_every_cache_user_of_the_same_account():
    login = CountingLogin()
    assert token_cache(login).get() == "tok-1"
    assert token_cache(login).get() == "tok-1"  # another process, same Redis
    assert token_cache(login, client_id="other").get() == "tok-2"


def test_invalidate_drops_only_the_token_it_names():
    login = CountingLogin()
    tokens = token_cache(login)
    stale = tokens.get()
    tokens.invalidate(stale)
    fresh = tokens.get()
    assert fresh == "tok-2"

    tokens.invalidate(stale)  # a slow caller's 401 on the old token
    assert tokens.get() == fresh
    assert login.count == 2


def _run_together(count: int, target) -> list:
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = target()
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_ten_concurrent_callers_share_one_login():
    login = CountingLogin(delay=0.3)

    outcomes = _run_together(10, lambda: token_cache(login).get())

    assert outcomes == ["tok-1"] * 10
    assert login.count == 1


def test_when_the_login_in_progress_fails_a_waiter_logs_in_instead():
    login = CountingLogin(delay=0.3, fail_first=True)

    outcomes = _run_together(10, lambda: token_cache(login).get())

    errors = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], TransientProviderError)
    assert sorted(outcome for outcome in outcomes if isinstance(outcome, str)) == ["tok-2"] * 9
    assert login.count == 2


def test_a_waiter_gives_up_when_the_lock_is_never_released():
    tokens = token_cache(CountingLogin())
    tokens.lock_seconds = 0.2
    cache.set(tokens.lock_key, "someone else", timeout=30)
    with pytest.raises(TransientProviderError, match="waiting"):
        tokens.get()


@pytest.mark.usefixtures("db")
def test_expired_token_is_renewed_before_the_call(adapter):
    clock = FakeClock()
    adapter.client.tokens.clock = clock
    with responses.RequestsMock() as mocked:
        mocked.post(f"{API}/auth/login", json={"token": "tok-1", "expiresInSecs": 600})
        mocked.post(f"{API}/auth/login", json={"token": "tok-2", "expiresInSecs": 600})
        mocked.get(f"{API}/wallet/balance", json={"balance": 1})
        adapter.get_balance()
        clock.now += 600  # expired
        adapter.get_balance()

        auth = [call.request.headers.get("Authorization") for call in mocked.calls]
        assert auth == [None, "Bearer tok-1", None, "Bearer tok-2"]  # never a 401 first
