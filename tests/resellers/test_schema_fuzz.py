"""Schemathesis fuzz of the reseller API from its own OpenAPI schema (`/api/schema/`).

Every operation in the schema is called with generated data, valid and invalid, with a good
key; the replies are checked against the schema: never a 5xx, only documented statuses,
bodies and content types as documented. test_fuzz.py adds money properties and raw bodies.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from resellers.services import api_key_create

pytestmark = pytest.mark.django_db


# Read through the WSGI app, as a client would; the schema view needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application()).include(
    path_regex="^/api/v1/"
)


@pytest.fixture(autouse=True)
def requests_keep_the_test_connection():
    """Calls go straight to the WSGI app inside the test's transaction; as Django's test
    client does, keep the end of a request from closing that connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_key(funded_reseller, priced_product) -> str:
    # Above any rate the fuzz reaches: a 429 is documented but would hide the rest.
    _key, raw = api_key_create(user=funded_reseller, rate_limit_per_minute=100_000)
    return raw


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema(case, fuzz_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_key}"},
        # Not checked: that schema-valid data is accepted (a valid order for an unknown
        # product or beyond the balance is refused by design: 400, 402, 422), and that
        # schema-invalid data is refused (unknown query parameters are ignored on purpose).
        # Invalid data is still sent, and every reply must still be documented and no 5xx.
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
