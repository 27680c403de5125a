"""The circuit breaker end to end: real orders placed at the Digiflazz simulator (over the
live server) that answer HTTP 500 open Digiflazz's circuit and tell staff; after the
cool-down one probe order goes through, is delivered, and closes it again. Nothing is
refunded while the failed placements' outcome is unknown. While the circuit is open the
item (its only route is Digiflazz) is not for sale; routing asks `provider_circuit_allows`
for the route an order will use, so the probe is a real order."""

from datetime import timedelta

import pytest

from orders.models import OrderStatus
from providers.health import provider_circuit_allows, provider_circuit_state
from providers.models import CircuitState, ProviderCall
from shop.errors import ApplicationError
from tests.pipeline.support import (
    DIGIFLAZZ,
    PLACE_ENDPOINTS,
    buy,
    fresh,
    refunds,
    staff_notifications,
)

pytestmark = pytest.mark.django_db(transaction=True)


def circuit_notices() -> list[str]:
    notices = staff_notifications(data__circuit__isnull=False).order_by("pk")
    return list(notices.values_list("title", flat=True))


def test_failing_placements_open_the_circuit_and_a_probe_closes_it(
    sims, products, buyer, clock, settings
):
    settings.PROVIDER_CIRCUIT_FAILURES = 3
    settings.PROVIDER_CIRCUIT_COOLDOWN_SECONDS = 60
    product = products[DIGIFLAZZ]

    failed = [buy(product, suffix="95", user=buyer) for _ in range(3)]  # HTTP 500 each

    assert [order.status for order in failed] == [OrderStatus.PROCESSING] * 3  # unknown
    assert sum(refunds(order) for order in failed) == 0
    placements = ProviderCall.objects.filter(
        provider=DIGIFLAZZ, endpoint__in=PLACE_ENDPOINTS[DIGIFLAZZ]
    )
    assert list(placements.values_list("http_status", "provider_fault")) == [(500, True)] * 3
    assert provider_circuit_state(DIGIFLAZZ) == CircuitState.OPEN
    assert list(circuit_notices()) == ["Digiflazz: circuit open, no new orders"]
    with pytest.raises(ApplicationError) as refused:
        buy(product, suffix="00", user=buyer)
    assert refused.value.code == "not_for_sale"

    clock.shift(timedelta(seconds=61))
    probe = buy(product, suffix="00", user=buyer)  # routing gives it the half-open probe

    assert fresh(probe).status == OrderStatus.SUCCESS
    assert provider_circuit_state(DIGIFLAZZ) == CircuitState.CLOSED
    assert provider_circuit_allows(DIGIFLAZZ) is True
    assert list(circuit_notices()) == [
        "Digiflazz: circuit open, no new orders",
        "Digiflazz: circuit closed, orders go through again",
    ]
