import pytest
from django.test import Client

from providers.registry import get_gateway
from tests.providers.tripay.callbacks import capture_callbacks


@pytest.fixture
def callbacks(monkeypatch):
    return capture_callbacks(monkeypatch)


@pytest.fixture
def sandbox(settings):
    settings.SITE_URL = "http://shop.test"
    return get_gateway("sandbox")


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)  # as a real browser: no test-client CSRF bypass
