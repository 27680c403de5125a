import pytest

from tests.providers.tripay.callbacks import capture_callbacks


@pytest.fixture
def callbacks(monkeypatch):
    return capture_callbacks(monkeypatch)
