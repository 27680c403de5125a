"""What every simulator shares: scripted scenarios, and pending orders that resolve later.

Scenarios are chosen by the last two digits of the customer number (or of the local part
of an e-mail), the same for every upstream simulator:

    81 pending for hours (SIMULATOR_LONG_PENDING_SECONDS), then success (with the callback)
    82 pending for hours, then failure (with the callback)
    84 FoxReload only: the create's reply times out after the order exists (the first
       create for that player id; a create made again answers at once)
    91 pending, then success (with the provider's callback)
    92 pending, then failure (with the provider's callback)
    93 failure at once
    94 slow: the reply comes after SIMULATOR_SLOW_SECONDS (past the shop's read timeout);
       the order is still created, as a real provider would
    95 HTTP 500 (no order created)
    96 HTTP 429 (no order created)
    97 malformed JSON (the order is created)
    98 connection reset after the order is created (the reply is cut short)
    99 the provider's own balance is too low
    anything else: success at once

A simulator may add its provider's documented test numbers on top (Digiflazz's).
"""

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db.models import F
from django.http import HttpResponse
from django.utils import timezone

from providers.models import SimulatedOrder


class Scenario(StrEnum):
    SUCCESS = "success"
    PENDING_SUCCESS = "pending_success"
    PENDING_FAILURE = "pending_failure"
    FAILURE = "failure"
    SLOW = "slow"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    MALFORMED = "malformed"
    CONNECTION_RESET = "connection_reset"
    OUT_OF_BALANCE = "out_of_balance"
    LONG_PENDING_SUCCESS = "long_pending_success"
    LONG_PENDING_FAILURE = "long_pending_failure"
    CREATE_TIMEOUT = "create_timeout"


SCENARIO_BY_SUFFIX = {
    "81": Scenario.LONG_PENDING_SUCCESS,
    "82": Scenario.LONG_PENDING_FAILURE,
    "84": Scenario.CREATE_TIMEOUT,
    "91": Scenario.PENDING_SUCCESS,
    "92": Scenario.PENDING_FAILURE,
    "93": Scenario.FAILURE,
    "94": Scenario.SLOW,
    "95": Scenario.SERVER_ERROR,
    "96": Scenario.RATE_LIMITED,
    "97": Scenario.MALFORMED,
    "98": Scenario.CONNECTION_RESET,
    "99": Scenario.OUT_OF_BALANCE,
}


# Pending scenarios → whether the order is delivered in the end.
PENDING_SCENARIOS = {
    Scenario.PENDING_SUCCESS: True,
    Scenario.PENDING_FAILURE: False,
    Scenario.LONG_PENDING_SUCCESS: True,
    Scenario.LONG_PENDING_FAILURE: False,
}


def pending_resolve_at(scenario: Scenario) -> datetime:
    """When a pending order of `scenario` resolves: hours away for the long ones."""
    long = scenario in (Scenario.LONG_PENDING_SUCCESS, Scenario.LONG_PENDING_FAILURE)
    seconds = (
        settings.SIMULATOR_LONG_PENDING_SECONDS if long else settings.SIMULATOR_PENDING_SECONDS
    )
    return timezone.now() + timedelta(seconds=seconds)


def scenario_for(customer_no: str) -> Scenario:
    account = customer_no.split("@", 1)[0]
    digits = re.sub(r"\D", "", account)
    return SCENARIO_BY_SUFFIX.get(digits[-2:], Scenario.SUCCESS)


def malformed_json_response() -> HttpResponse:
    return HttpResponse(b'{"data": {"status": "Sukses", ', content_type="application/json")


def connection_reset_response() -> HttpResponse:
    """A reply that promises more bytes than it sends: the client sees the connection end
    mid-body, as after a reset, once the server has already acted."""
    response = HttpResponse(b'{"data": {', content_type="application/json")
    response["Content-Length"] = "4096"
    return response


def scripted_reply(scenario: Scenario, reply: Callable[[], HttpResponse]) -> HttpResponse:
    """The reply to a request the simulator has already acted on: late (SLOW), broken
    (MALFORMED), cut short (CONNECTION_RESET), or `reply()` as the provider sends it."""
    if scenario == Scenario.SLOW:
        time.sleep(settings.SIMULATOR_SLOW_SECONDS)
    if scenario == Scenario.MALFORMED:
        return malformed_json_response()
    if scenario == Scenario.CONNECTION_RESET:
        return connection_reset_response()
    return reply()


# provider code → function that finishes a due pending order and sends its callback
_RESOLVERS: dict[str, Callable[[SimulatedOrder], None]] = {}


def simulator_resolver(provider: str):
    """Register how `provider`'s simulator resolves a due pending order."""

    def register(function: Callable[[SimulatedOrder], None]):
        _RESOLVERS[provider] = function
        return function

    return register


def simulator_resolve_if_due(sim_order: SimulatedOrder) -> SimulatedOrder:
    """Resolve `sim_order` now if its time has come, exactly once (a conditional UPDATE:
    of a status check and the beat tick, one wins), run its provider's resolver (which
    sends the callback), and return it fresh."""
    now = timezone.now()
    won = SimulatedOrder.objects.filter(
        pk=sim_order.pk, resolve_at__isnull=False, resolve_at__lte=now
    ).update(status=F("final_status"), resolve_at=None, updated_at=now)
    sim_order.refresh_from_db()
    if won:
        resolver = _RESOLVERS.get(sim_order.provider)
        if resolver is not None:
            resolver(sim_order)
            sim_order.refresh_from_db()
    return sim_order


def simulators_resolve_due(*, limit: int = 100) -> int:
    """Resolve simulated pending orders whose time has come (and send their callbacks)."""
    import providers.simulator_urls  # noqa: F401 (imports every simulator, registering it)

    due = SimulatedOrder.objects.filter(resolve_at__lte=timezone.now()).order_by("resolve_at")
    resolved = 0
    for sim_order in due[:limit]:
        before = sim_order.updated_at
        if simulator_resolve_if_due(sim_order).updated_at != before:
            resolved += 1
    return resolved
