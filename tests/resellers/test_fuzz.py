"""Hypothesis fuzz of every reseller endpoint: random bodies, query strings and headers.

Properties: never a 5xx; every refusal is JSON `{"code", "message"[, "details"]}`; money
moves only with a 201, by exactly the price; the ledger stays consistent. Each case runs
in a savepoint rolled back afterwards, so every case starts from the same world.
"""

import json
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.orders.fixtures import RESELLER_PRICE, balance_of

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
pytestmark = pytest.mark.django_db

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
ref_ids = st.text(max_size=70) | st.from_regex(r"[A-Za-z0-9._:\-]{1,64}", fullmatch=True)
customer_data = st.dictionaries(
    st.sampled_from(["user_id", "zone_id", "phone", "x"]) | st.text(max_size=8),
    st.text(max_size=25) | st.integers() | json_values,
    max_size=4,
)
amounts = st.none() | st.decimals(allow_nan=False, allow_infinity=False).map(str) | json_scalars


def order_bodies(product_id):
    fields = {
        "ref_id": ref_ids | json_values,
        "product_id": st.sampled_from([product_id, 0, -1, 2**70, "1", None]) | st.integers(),
        "customer_data": customer_data | json_values,
        "amount": amounts,
    }
    valid = st.fixed_dictionaries(
        {
            "ref_id": st.from_regex(r"[A-Z0-9]{1,8}", fullmatch=True),
            "product_id": st.just(product_id),
            "customer_data": st.fixed_dictionaries(
                {"user_id": st.from_regex(r"[0-9]{4,20}", fullmatch=True)}
            ),
        }
    )
    return valid | st.fixed_dictionaries({}, optional=fields) | json_values


def raw_bodies():
    return st.binary(max_size=200) | st.text(max_size=200).map(str.encode)


ENDPOINTS = st.sampled_from(
    [
        ("get", "/api/v1/products"),
        ("get", "/api/v1/balance"),
        ("get", "/api/v1/orders"),
        ("get", "/api/v1/orders/{ref}"),
        ("post", "/api/v1/orders/validate"),
        ("post", "/api/v1/orders"),
        ("put", "/api/v1/orders"),
        ("delete", "/api/v1/balance"),
    ]
)
# Dates and datetimes anywhere in the calendar, its edges (where time zone math overflows)
# included.
calendar_edges = st.sampled_from(
    ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
)
dates = (
    calendar_edges
    | st.dates().map(str)
    | st.datetimes().map(lambda moment: moment.isoformat())
    | st.builds(
        lambda moment, hours: f"{moment.isoformat()}{hours:+03d}:00",
        st.datetimes(),
        st.integers(-14, 14),
    )
)
query = st.dictionaries(
    st.sampled_from(
        ["status", "created_from", "created_to", "page", "page_size", "brand", "category"]
    ),
    st.text(max_size=20),
    max_size=4,
) | st.fixed_dictionaries({}, optional={"created_from": dates, "created_to": dates})


def test_fuzz_the_endpoints(api, priced_product, funded_reseller):
    start = balance_of(funded_reseller)

    @FUZZ
    @given(
        endpoint=ENDPOINTS,
        body=order_bodies(priced_product.pk).map(json.dumps).map(str.encode) | raw_bodies(),
        params=query,
        ref=st.text(
            alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=20
        ),
        auth=st.sampled_from(["good", "none", "garbage"]),
        content_type=st.sampled_from(
            ["application/json", "text/plain", "application/x-www-form-urlencoded"]
        ),
    )
    def case(endpoint, body, params, ref, auth, content_type):
        method, path = endpoint
        path = path.replace("{ref}", ref.replace("/", "_").replace("?", "_").replace("#", "_"))
        headers = {}
        if auth == "good":
            headers["HTTP_AUTHORIZATION"] = f"Bearer {api.key}"
        elif auth == "garbage":
            headers["HTTP_AUTHORIZATION"] = "Bearer \x7fnot-a-key"
        client = api.client
        with transaction.atomic():
            savepoint = transaction.savepoint()
            if method == "get":
                reply = client.get(path, params, **headers)
            else:
                reply = getattr(client, method)(path, body, content_type=content_type, **headers)
            assert reply.status_code < 500, reply.content
            reply_body = reply.json()
            if reply.status_code >= 400:
                assert set(reply_body) <= {"code", "message", "details"}
                assert isinstance(reply_body["code"], str)
                assert isinstance(reply_body["message"], str)
            balance = balance_of(funded_reseller)
            if reply.status_code == 201:
                created.append(1)
                assert balance == start - RESELLER_PRICE
            else:
                assert balance == start
            transaction.savepoint_rollback(savepoint)

    created = []
    case()
    assert created, "no case created an order: the fuzz never reached the happy path"
    assert balance_of(funded_reseller) == start == Decimal("50000.00")
