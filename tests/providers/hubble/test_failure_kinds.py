"""What a buyer is told of a Hubble refusal: a brand or denomination Hubble does not sell
now (or our wallet there empty) is "unavailable"; other refusals are the supplier's."""

import pytest

from providers.base import FailureKind, ProviderStatus
from tests.providers.hubble.test_adapter import (  # noqa: F401 (fixtures)
    ORDERS_URL,
    _error,
    mocked,
    request_for,
    with_brands,
)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("E100", FailureKind.UNAVAILABLE),
        ("E102", FailureKind.UNAVAILABLE),
        ("E150", FailureKind.UNAVAILABLE),
        ("E300", FailureKind.UNAVAILABLE),
        ("E160", FailureKind.SUPPLIER),
    ],
)
def test_a_refusal_carries_its_kind(adapter, with_brands, code, kind):  # noqa: F811
    with_brands.post(ORDERS_URL, status=400, json=_error(code))

    result = adapter.place_order(request_for())

    assert result.status == ProviderStatus.FAILED
    assert result.failure_kind == kind


def test_a_denomination_refused_before_sending_is_unavailable(adapter, with_brands):  # noqa: F811
    result = adapter.place_order(request_for(sku="amz:250"))

    assert (result.status, result.rc) == (ProviderStatus.FAILED, "E150")
    assert result.failure_kind == FailureKind.UNAVAILABLE
