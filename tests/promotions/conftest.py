import pytest

# The reseller API's fixtures: a funded reseller with a key and a client that sends it.
from tests.resellers.conftest import api, funded_reseller, priced_product  # noqa: F401
from tests.storefront.support import make_storefront


@pytest.fixture
def storefront(db):
    return make_storefront()
