"""Provider health: each provider's circuit breaker, its error rate and latency over a sliding
window, and the staff alerts about both (issue 21; docs/operations.md#provider-health).

The circuit (one `ProviderCircuit` row per provider, in the database so every web, worker
and beat process sees the same state, and so a transition and its staff alert commit in
one transaction):

- **closed**: orders go through. Each call that says the provider is broken (timeout, no
  connection, 5xx, or an answer its adapter reads as a provider fault) adds one to
  `consecutive_failures`; any other answer sets it back to 0. At
  `PROVIDER_CIRCUIT_FAILURES` it opens (staff are told).
- **open**: `provider_circuit_allows` says no, so routing sends the provider no new
  order. Calls still made (polls of earlier orders, balance checks) change nothing.
- **half-open**: after `PROVIDER_CIRCUIT_COOLDOWN_SECONDS`, the first caller of
  `provider_circuit_allows` takes the one probe (under the row's lock: of two concurrent
  callers in any processes, one gets it) and every other caller is refused until the
  probe's answer, or until `PROVIDER_CIRCUIT_PROBE_SECONDS` passed without one (the probe
  order went elsewhere or its worker died), when another probe may go. The next call
  recorded decides: a healthy answer closes the circuit (staff are told), a failure opens
  it again for another cool-down (no second "opened" alert: it never closed).

Staff may force a circuit open (it stays open, no probe, until staff close it) or closed
(`provider_circuit_force`); every transition is kept in `CircuitChange`, with the staff
member for a forced one.

Outcomes are recorded by `providers.http` where it writes each `ProviderCall` (one place):
a healthy call on a closed circuit with no failure counted costs one indexed read.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Aggregate, Count, FloatField, Q
from django.utils import timezone

from catalog.models import Provider, ProviderKind
from providers.models import CircuitChange, CircuitState, ProviderCall, ProviderCircuit
from shop.models import NotificationLevel, StaffAlertKind
from shop.notifications import notify
from shop.precompiled import PrecompiledSelect

logger = logging.getLogger(__name__)

# A 429 says we asked too often, not that the provider is broken: it counts neither way.
NEUTRAL_STATUSES = frozenset({429})
RECENT_FAILURES = 5


def call_is_provider_fault(*, outcome: str, http_status: int | None) -> bool | None:
    """Whether a call says the provider is broken: True for a timeout, no connection or a
    5xx; None for a 429 (no verdict); False for any other answer (a buyer's bad input or
    a final refusal of one order is the provider working)."""
    if http_status is None:
        return outcome in ("timeout", "connection_error")
    if http_status in NEUTRAL_STATUSES:
        return None
    return http_status >= 500


# --- the circuit ---------------------------------------------------------------------------
def _circuit_for_update(code: str) -> ProviderCircuit:
    """`code`'s circuit row, locked (created closed when missing; a concurrent creator's
    row is found instead of a second one)."""
    ProviderCircuit.objects.bulk_create([ProviderCircuit(provider=code)], ignore_conflicts=True)
    return ProviderCircuit.objects.select_for_update().get(provider=code)


def _move(circuit: ProviderCircuit, to: str, *, reason: str, now: datetime, actor=None) -> None:
    """Save `circuit` in state `to` (the caller holds its lock), kept in the trail; staff are
    told when it opens from closed and when it closes."""
    before = circuit.state
    circuit.state = to
    circuit.state_since = now
    circuit.probe_until = None
    if to == CircuitState.CLOSED:
        circuit.consecutive_failures = 0
    circuit.save()
    CircuitChange.objects.create(
        provider=circuit.provider, from_state=before, to_state=to, reason=reason, actor=actor
    )
    name = _provider_name(circuit.provider)
    if to == CircuitState.OPEN and before == CircuitState.CLOSED:
        notify(
            title=f"{name}: circuit open, no new orders",
            message=reason,
            level=NotificationLevel.ERROR,
            data={"provider": circuit.provider, "circuit": to},
            alert=StaffAlertKind.CIRCUIT_OPEN,
            event_key=f"provider:{circuit.provider}:circuit-open:{now.isoformat()}",
        )
    elif to == CircuitState.CLOSED:
        notify(
            title=f"{name}: circuit closed, orders go through again",
            message=reason,
            level=NotificationLevel.INFO,
            data={"provider": circuit.provider, "circuit": to},
            alert=StaffAlertKind.CIRCUIT_CLOSED,
            event_key=f"provider:{circuit.provider}:circuit-closed:{now.isoformat()}",
        )


def _provider_name(code: str) -> str:
    return Provider.objects.filter(code=code).values_list("name", flat=True).first() or code


_CIRCUIT_NOT_CLOSED = PrecompiledSelect(ProviderCircuit, where="t.provider = %s AND t.state <> %s")


def provider_circuit_allows(code: str) -> bool:
    """False while `code`'s circuit is open: routing sends it no new order.

    Half-open (the cool-down over), True for exactly one caller, which takes the probe:
    call it only for the route the order will really use. Every other caller gets False
    until the probe's answer closes or reopens the circuit, or the probe expires."""
    # Asked on every order: one precompiled lookup that finds no row while closed.
    found = _CIRCUIT_NOT_CLOSED.fetch([code, CircuitState.CLOSED])
    if not found:
        return True
    circuit = found[0]
    now = timezone.now()
    if not _may_probe(circuit, now):
        return False
    with transaction.atomic():
        circuit = ProviderCircuit.objects.select_for_update().get(pk=circuit.pk)
        if circuit.state == CircuitState.CLOSED:
            return True
        if not _may_probe(circuit, now):
            return False
        if circuit.state == CircuitState.OPEN:
            _move(circuit, CircuitState.HALF_OPEN, reason="cool-down over: one probe", now=now)
        circuit.probe_until = now + timedelta(seconds=settings.PROVIDER_CIRCUIT_PROBE_SECONDS)
        circuit.save(update_fields=["probe_until", "updated_at"])
    return True


def provider_circuit_state(code: str) -> str:
    """`code`'s circuit state, read only (no probe taken): for pages and listings that show
    whether a route is usable; an order asks `provider_circuit_allows`."""
    state = ProviderCircuit.objects.filter(provider=code).values_list("state", flat=True).first()
    return state or CircuitState.CLOSED


def _may_probe(circuit: ProviderCircuit, now: datetime) -> bool:
    if circuit.forced_open:
        return False
    if circuit.state == CircuitState.OPEN:
        cooldown = timedelta(seconds=settings.PROVIDER_CIRCUIT_COOLDOWN_SECONDS)
        return circuit.state_since + cooldown <= now
    return circuit.probe_until is None or circuit.probe_until <= now


def provider_circuit_record(*, code: str, fault: bool | None, detail: str = "") -> None:
    """Count one call's verdict on `code`'s circuit (None: no verdict). Guarantees: N faults
    in a row open a closed circuit once; in half-open the first verdict closes or reopens
    it; an open circuit (cool-down, or forced) is not changed by calls."""
    if fault is None:
        return
    circuit = ProviderCircuit.objects.filter(provider=code).first()
    if not fault and (
        circuit is None
        or circuit.state == CircuitState.OPEN
        or (circuit.state == CircuitState.CLOSED and circuit.consecutive_failures == 0)
    ):
        return  # the common case: nothing to write
    if fault and circuit is not None and circuit.state == CircuitState.OPEN:
        return
    now = timezone.now()
    with transaction.atomic():
        circuit = _circuit_for_update(code)
        if circuit.state == CircuitState.OPEN:
            return
        if circuit.state == CircuitState.HALF_OPEN:
            if fault:
                circuit.consecutive_failures += 1
                _move(circuit, CircuitState.OPEN, reason=f"probe failed: {detail}", now=now)
            else:
                _move(circuit, CircuitState.CLOSED, reason="probe answered", now=now)
            return
        if not fault:
            circuit.consecutive_failures = 0
            circuit.save(update_fields=["consecutive_failures", "updated_at"])
            return
        circuit.consecutive_failures += 1
        if circuit.consecutive_failures >= settings.PROVIDER_CIRCUIT_FAILURES:
            reason = f"{circuit.consecutive_failures} failed calls in a row; last: {detail}"
            _move(circuit, CircuitState.OPEN, reason=reason, now=now)
        else:
            circuit.save(update_fields=["consecutive_failures", "updated_at"])


def provider_circuit_record_call(call: ProviderCall) -> None:
    """Count a stored `ProviderCall` on its provider's circuit; never raises (the health
    record must not turn a provider's reply into an error)."""
    try:
        fault = call.provider_fault or call_is_provider_fault(
            outcome=call.outcome, http_status=call.http_status
        )
        detail = call.error or f"HTTP {call.http_status} from {call.endpoint}"
        provider_circuit_record(code=call.provider, fault=fault, detail=detail[:300])
    except Exception:
        logger.exception("could not record the circuit outcome of %s", call.provider)


@transaction.atomic
def provider_circuit_force(*, code: str, state: str, actor, reason: str) -> ProviderCircuit:
    """Staff force `code`'s circuit open (it stays open, no probe, until staff close it) or
    closed (failures forgotten; automatic rules apply again). Kept in the trail with
    `actor`; staff are told as for an automatic transition."""
    if state not in (CircuitState.OPEN, CircuitState.CLOSED):
        raise ValueError(f"a circuit is forced open or closed, not {state!r}")
    circuit = _circuit_for_update(code)
    now = timezone.now()
    who = actor.get_username() if actor is not None else "staff"
    text = f"forced {state} by {who}" + (f": {reason}" if reason else "")
    circuit.forced_open = state == CircuitState.OPEN
    if circuit.state != state:
        _move(circuit, state, reason=text, now=now, actor=actor)
    else:
        if state == CircuitState.CLOSED:
            circuit.consecutive_failures = 0
        circuit.save()
        CircuitChange.objects.create(
            provider=code, from_state=state, to_state=state, reason=text, actor=actor
        )
    return circuit


def provider_circuit_states() -> dict[str, ProviderCircuit]:
    """Every provider's circuit row by code (a provider without one is closed)."""
    return {circuit.provider: circuit for circuit in ProviderCircuit.objects.all()}


# --- the window ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CallWindow:
    """One provider's calls over the health window."""

    calls: int = 0
    failures: int = 0
    p50_ms: int | None = None
    p95_ms: int | None = None

    @property
    def error_rate(self) -> Decimal:
        """Failed calls in percent, to one decimal (0 without calls)."""
        if not self.calls:
            return Decimal("0")
        return (Decimal(self.failures) * 100 / self.calls).quantize(Decimal("0.1"))


class _Percentile(Aggregate):
    """PostgreSQL's continuous percentile of an expression (`fraction` a float literal)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, *, fraction: float):
        super().__init__(expression, fraction=float(fraction))


def _window_start(now: datetime | None) -> datetime:
    now = now or timezone.now()
    return now - timedelta(seconds=settings.PROVIDER_HEALTH_WINDOW_SECONDS)


def provider_call_windows(*, now: datetime | None = None) -> dict[str, CallWindow]:
    """Calls, failures and latency percentiles (p50, p95, ms) per provider over the last
    `PROVIDER_HEALTH_WINDOW_SECONDS` (a range scan of the `created_at` index)."""
    start, end = _window_start(now), now or timezone.now()
    calls = ProviderCall.objects.filter(created_at__gte=start, created_at__lte=end)
    if connection.vendor == "postgresql":
        rows = (
            calls.order_by()
            .values_list("provider")
            .annotate(
                n=Count("pk"),
                failed=Count("pk", filter=Q(provider_fault=True)),
                p50=_Percentile("latency_ms", fraction=0.5),
                p95=_Percentile("latency_ms", fraction=0.95),
            )
        )
        return {
            code: CallWindow(n, failed, round(p50), round(p95))
            for code, n, failed, p50, p95 in rows
        }
    # SQLite (`make run`): the window's latencies read into Python.
    windows: dict[str, list] = {}
    for code, latency, fault in calls.values_list("provider", "latency_ms", "provider_fault"):
        windows.setdefault(code, []).append((latency, fault))
    return {code: _window_of(items) for code, items in windows.items()}


def _window_of(items: list[tuple[int, bool]]) -> CallWindow:
    latencies = sorted(latency for latency, _ in items)
    return CallWindow(
        calls=len(items),
        failures=sum(1 for _, fault in items if fault),
        p50_ms=round(_percentile(latencies, 0.5)),
        p95_ms=round(_percentile(latencies, 0.95)),
    )


def _percentile(values: list[int], fraction: float) -> float:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    position = (len(values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


@dataclass(frozen=True)
class ProviderHealth:
    """What the dashboard and /metrics show of one provider."""

    code: str
    name: str
    window: CallWindow
    circuit_state: str
    circuit_since: datetime | None
    consecutive_failures: int
    forced_open: bool
    balance: Decimal | None = None
    currency: str = ""
    balance_at: datetime | None = None
    low_balance: bool = False
    recent_failures: list = field(default_factory=list)


def provider_health_all(
    *, now: datetime | None = None, recent_failures: int = RECENT_FAILURES
) -> list[ProviderHealth]:
    """Every upstream provider (and any other code with calls in the window or a circuit):
    window, balance, circuit state and since when, and its last `recent_failures` failed
    calls (ProviderCall rows), by code."""
    windows = provider_call_windows(now=now)
    circuits = provider_circuit_states()
    providers = {
        provider.code: provider
        for provider in Provider.objects.filter(kind=ProviderKind.UPSTREAM).order_by("code")
    }
    codes = sorted(set(providers) | set(windows) | set(circuits))
    result = []
    for code in codes:
        provider = providers.get(code)
        circuit = circuits.get(code)
        failures = []
        if recent_failures:
            failures = list(
                ProviderCall.objects.filter(provider=code, provider_fault=True).only(
                    "pk", "created_at", "endpoint", "http_status", "outcome", "error"
                )[:recent_failures]
            )
        result.append(
            ProviderHealth(
                code=code,
                name=provider.name if provider else code,
                window=windows.get(code, CallWindow()),
                circuit_state=circuit.state if circuit else CircuitState.CLOSED,
                circuit_since=circuit.state_since if circuit else None,
                consecutive_failures=circuit.consecutive_failures if circuit else 0,
                forced_open=bool(circuit and circuit.forced_open),
                balance=provider.last_balance if provider else None,
                currency=provider.currency if provider else "",
                balance_at=provider.last_balance_at if provider else None,
                low_balance=bool(
                    provider
                    and provider.last_balance is not None
                    and provider.last_balance < provider.low_balance_threshold
                ),
                recent_failures=failures,
            )
        )
    return result


# --- the error-rate alert ------------------------------------------------------------------
def providers_error_rate_check(*, now: datetime | None = None) -> dict[str, str]:
    """Tell staff, once per crossing, of each provider whose error rate over the window is
    at least `PROVIDER_ERROR_RATE_ALERT` percent over at least
    `PROVIDER_ERROR_RATE_MIN_CALLS` calls; a provider back under it may alert again later.
    Returns code → "alerted" / "still high" / "back under" for the codes it touched."""
    now = now or timezone.now()
    windows = provider_call_windows(now=now)
    threshold = Decimal(str(settings.PROVIDER_ERROR_RATE_ALERT))
    alerted = set(
        ProviderCircuit.objects.filter(error_rate_alerted=True).values_list("provider", flat=True)
    )
    outcomes = {}
    for code in sorted(set(windows) | alerted):
        window = windows.get(code, CallWindow())
        high = window.calls >= settings.PROVIDER_ERROR_RATE_MIN_CALLS and (
            window.error_rate >= threshold
        )
        if high == (code in alerted):
            if high:
                outcomes[code] = "still high"
            continue
        with transaction.atomic():
            circuit = _circuit_for_update(code)
            if circuit.error_rate_alerted == high:
                continue
            circuit.error_rate_alerted = high
            circuit.save(update_fields=["error_rate_alerted", "updated_at"])
            if high:
                _alert_error_rate(code, window, threshold, now)
        outcomes[code] = "alerted" if high else "back under"
    return outcomes


def _alert_error_rate(code: str, window: CallWindow, threshold: Decimal, now: datetime) -> None:
    minutes = settings.PROVIDER_HEALTH_WINDOW_SECONDS // 60
    notify(
        title=f"{_provider_name(code)}: {window.error_rate}% of calls failed",
        message=(
            f"{window.failures} of {window.calls} calls in the last {minutes} min failed "
            f"(threshold {threshold}%); p95 latency {window.p95_ms} ms."
        ),
        level=NotificationLevel.WARNING,
        data={"provider": code, "error_rate": str(window.error_rate)},
        alert=StaffAlertKind.ERROR_RATE,
        event_key=f"provider:{code}:error-rate:{now.isoformat()}",
    )
