"""Shared set-up for the Hubble tests: a clean cache (tokens, simulator state) per test, and
an adapter pointed at a fake base URL (unit tests) or at the simulator (live tests)."""

import pytest
from django.core.cache import cache

from providers.hubble.adapter import HubbleAdapter
from providers.hubble.catalog import BrandDirectory

BASE = "https://hubble.test"
API = f"{BASE}/v1/partners"
CLIENT_ID = "partner-1"
CLIENT_SECRET = "s3cret-value"
WEBHOOK_SECRET = "hook-secret"


@pytest.fixture(autouse=True)
def _clean_state():
    """Tokens, simulator wallet and brand copies must not leak between tests."""
    cache.clear()
    BrandDirectory.forget_all()
    yield
    cache.clear()
    BrandDirectory.forget_all()


@pytest.fixture
def hubble_settings(settings):
    settings.HUBBLE_CLIENT_ID = CLIENT_ID
    settings.HUBBLE_CLIENT_SECRET = CLIENT_SECRET
    settings.HUBBLE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.HUBBLE_BASE_URL = BASE
    return settings


@pytest.fixture
def adapter(db, hubble_settings) -> HubbleAdapter:
    adapter = HubbleAdapter.from_settings()
    adapter.client.http.sleep = lambda _seconds: None  # no back-off waits in unit tests
    return adapter


@pytest.fixture
def sim_adapter(live_server, settings) -> HubbleAdapter:
    """The real adapter against the simulator over HTTP (the simulator's demo credentials)."""
    settings.HUBBLE_BASE_URL = live_server.url + "/sim/hubble"
    settings.SIMULATOR_CALLBACK_BASE_URL = live_server.url
    return HubbleAdapter.from_settings()
