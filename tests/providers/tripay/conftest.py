import pytest
from django.core.cache import cache

from tests.providers.tripay.callbacks import capture_callbacks


@pytest.fixture(autouse=True)
def _empty_cache():
    """The channel list is cached in Redis: no test sees another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def callbacks(monkeypatch):
    return capture_callbacks(monkeypatch)
