import pytest

from tests.storefront.support import make_storefront


@pytest.fixture
def storefront(db):
    return make_storefront()
