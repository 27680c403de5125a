"""The provider circuit breaker and health window (providers/health.py), driven through the
one HTTP session every provider call goes through (`providers.http`), with the outside
world faked by `responses`: closed → open after N failures in a row, open refuses, the
cool-down, exactly one half-open probe (also with two callers at once, in two database
sessions), probe success closes and probe failure reopens; staff told once per transition
and once per error-rate crossing."""

import contextlib
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
import responses
import time_machine
from django.db import connection, transaction

from providers.base import TransientProviderError
from providers.digiflazz.rc import reply_is_provider_fault
from providers.health import (
    _window_of,
    provider_call_windows,
    provider_circuit_allows,
    provider_circuit_force,
    provider_circuit_state,
    providers_error_rate_check,
)
from providers.http import ProviderHttp
from providers.models import CallOutcome, CircuitChange, CircuitState, ProviderCall, ProviderCircuit
from shop.models import MessageChannel, OutboundMessage, StaffAlertKind, StaffAlertRoute
from tests.catalog.factories import ProviderFactory
from tests.conftest import wait_until
from tests.orders.fixtures import make_user

CODE = "acme"
URL = "https://acme.example/api/order"
START = datetime(2026, 3, 15, 14, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
CHATS = {
    StaffAlertKind.CIRCUIT_OPEN: "-100301",
    StaffAlertKind.CIRCUIT_CLOSED: "-100302",
    StaffAlertKind.ERROR_RATE: "-100303",
}


@pytest.fixture
def circuit_settings(settings):
    settings.PROVIDER_CIRCUIT_FAILURES = 3
    settings.PROVIDER_CIRCUIT_COOLDOWN_SECONDS = 60
    settings.PROVIDER_CIRCUIT_PROBE_SECONDS = 120
    settings.PROVIDER_HEALTH_WINDOW_SECONDS = 300
    settings.PROVIDER_ERROR_RATE_ALERT = 50.0
    settings.PROVIDER_ERROR_RATE_MIN_CALLS = 4
    return settings


@pytest.fixture
def acme(db, circuit_settings):
    ProviderFactory(code=CODE, name="Acme")
    for kind, chat in CHATS.items():
        StaffAlertRoute.objects.create(kind=kind, chat_id=chat)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def call(status: int = 200, body: dict | None = None, *, error: Exception | None = None, http=None):
    """One order call to Acme through ProviderHttp, answered with `status` and `body` (or
    failing with `error`)."""
    http = http or ProviderHttp(CODE, max_attempts=1, sleep=lambda _seconds: None)
    with responses.RequestsMock() as mock:
        if error is not None:
            mock.add(responses.POST, URL, body=error)
        else:
            mock.add(responses.POST, URL, json=body or {"ok": True}, status=status)
        with contextlib.suppress(TransientProviderError):
            http.request("POST", URL, endpoint="order", json_body={"ref": "x"})


def fail(times: int = 1) -> None:
    for _ in range(times):
        call(503)


def state() -> str:
    circuit = ProviderCircuit.objects.filter(provider=CODE).first()
    return circuit.state if circuit else CircuitState.CLOSED


def alerts(kind: str) -> list[str]:
    """The Telegram messages recorded for the chat of `kind` (the outbox rows: one per
    event and chat)."""
    return list(
        OutboundMessage.objects.filter(
            channel=MessageChannel.TELEGRAM, recipient=CHATS[kind], alert_kind=kind
        )
        .order_by("pk")
        .values_list("subject", flat=True)
    )


def transitions() -> list[tuple[str, str]]:
    return list(
        CircuitChange.objects.filter(provider=CODE)
        .order_by("pk")
        .values_list("from_state", "to_state")
    )


# --- closed → open ---------------------------------------------------------------------------
def test_the_circuit_opens_after_n_failed_calls_in_a_row_and_staff_are_told_once(acme, clock):
    fail(2)
    assert state() == CircuitState.CLOSED
    assert ProviderCircuit.objects.get(provider=CODE).consecutive_failures == 2
    assert provider_circuit_allows(CODE) is True

    call(error=requests.ConnectTimeout("connect timed out"))  # the third, a timeout

    assert state() == CircuitState.OPEN
    assert provider_circuit_allows(CODE) is False
    assert transitions() == [("closed", "open")]
    assert alerts(StaffAlertKind.CIRCUIT_OPEN) == ["Acme: circuit open, no new orders"]
    fail(4)  # more failures while open (polls of earlier orders): nothing new
    assert alerts(StaffAlertKind.CIRCUIT_OPEN) == ["Acme: circuit open, no new orders"]
    assert transitions() == [("closed", "open")]


def test_a_healthy_answer_resets_the_count(acme, clock):
    fail(2)
    call(200)
    fail(2)

    assert state() == CircuitState.CLOSED
    assert ProviderCircuit.objects.get(provider=CODE).consecutive_failures == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "wrong customer number"}),  # the buyer's input
        (422, {"error": "order refused"}),  # an order's final failure
        (429, {"error": "slow down"}),  # our pace, not the provider's health
        (200, {"data": {"rc": "54", "status": "Gagal", "message": "wrong destination"}}),
    ],
)
def test_answers_that_are_not_the_provider_broken_never_open_it(acme, clock, status, body):
    http = ProviderHttp(
        CODE, max_attempts=1, sleep=lambda _s: None, fault_reply=reply_is_provider_fault
    )
    for _ in range(5):
        call(status, body, http=http)

    assert state() == CircuitState.CLOSED
    assert not ProviderCall.objects.filter(provider=CODE, provider_fault=True).exists()
    assert alerts(StaffAlertKind.CIRCUIT_OPEN) == []


def test_a_seller_outage_in_a_200_reply_counts_as_a_failure(acme, clock):
    http = ProviderHttp(
        CODE, max_attempts=1, sleep=lambda _s: None, fault_reply=reply_is_provider_fault
    )
    body = {"data": {"rc": "62", "status": "Gagal", "message": "seller disrupted"}}
    for _ in range(3):
        call(200, body, http=http)

    assert state() == CircuitState.OPEN
    assert ProviderCall.objects.filter(provider=CODE, provider_fault=True).count() == 3


def test_each_retried_attempt_is_one_call(acme, clock):
    http = ProviderHttp(CODE, max_attempts=3, sleep=lambda _seconds: None)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, URL, json={}, status=502)
        http.request("POST", URL, endpoint="status", safe_to_retry=True)

    assert ProviderCall.objects.filter(provider=CODE).count() == 3
    assert state() == CircuitState.OPEN


# --- open → half-open → closed / open ----------------------------------------------------------
def open_circuit(clock) -> None:
    fail(3)
    assert state() == CircuitState.OPEN


def test_open_refuses_until_the_cool_down_then_lets_exactly_one_probe_through(acme, clock):
    open_circuit(clock)
    clock.shift(timedelta(seconds=59))
    assert provider_circuit_allows(CODE) is False
    clock.shift(timedelta(seconds=1))
    assert provider_circuit_state(CODE) == CircuitState.OPEN  # reading takes no probe

    assert provider_circuit_allows(CODE) is True  # the probe
    assert state() == CircuitState.HALF_OPEN
    assert [provider_circuit_allows(CODE) for _ in range(3)] == [False, False, False]


def test_the_probe_answering_closes_the_circuit_and_staff_are_told(acme, clock):
    open_circuit(clock)
    clock.shift(timedelta(seconds=60))
    assert provider_circuit_allows(CODE) is True

    call(200)

    assert state() == CircuitState.CLOSED
    assert provider_circuit_allows(CODE) is True
    assert transitions() == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    assert alerts(StaffAlertKind.CIRCUIT_CLOSED) == [
        "Acme: circuit closed, orders go through again"
    ]
    assert len(alerts(StaffAlertKind.CIRCUIT_OPEN)) == 1
    assert ProviderCircuit.objects.get(provider=CODE).consecutive_failures == 0


def test_the_probe_failing_reopens_it_for_another_cool_down(acme, clock):
    open_circuit(clock)
    clock.shift(timedelta(seconds=60))
    assert provider_circuit_allows(CODE) is True

    fail()

    assert state() == CircuitState.OPEN
    assert ProviderCircuit.objects.get(provider=CODE).consecutive_failures == 4
    assert provider_circuit_allows(CODE) is False
    clock.shift(timedelta(seconds=59))
    assert provider_circuit_allows(CODE) is False
    clock.shift(timedelta(seconds=1))
    assert provider_circuit_allows(CODE) is True  # the next probe
    assert transitions() == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
    ]
    # It never closed in between: one "opened" alert, no "closed" one.
    assert len(alerts(StaffAlertKind.CIRCUIT_OPEN)) == 1
    assert alerts(StaffAlertKind.CIRCUIT_CLOSED) == []


def test_a_probe_without_an_answer_lets_another_go_after_its_time(acme, clock):
    open_circuit(clock)
    clock.shift(timedelta(seconds=60))
    assert provider_circuit_allows(CODE) is True
    clock.shift(timedelta(seconds=119))
    assert provider_circuit_allows(CODE) is False

    clock.shift(timedelta(seconds=1))

    assert provider_circuit_allows(CODE) is True
    assert provider_circuit_allows(CODE) is False


# --- staff ---------------------------------------------------------------------------------
def test_staff_force_it_open_past_the_cool_down_and_closed_again_audited(acme, clock):
    staff = make_user("ops-olga")

    provider_circuit_force(code=CODE, state=CircuitState.OPEN, actor=staff, reason="outage")
    clock.shift(timedelta(hours=1))
    assert provider_circuit_allows(CODE) is False
    call(200)  # calls do not close a forced circuit
    assert state() == CircuitState.OPEN

    provider_circuit_force(code=CODE, state=CircuitState.CLOSED, actor=staff, reason="back")

    assert provider_circuit_allows(CODE) is True
    changes = list(CircuitChange.objects.filter(provider=CODE).order_by("pk"))
    assert [(c.from_state, c.to_state, c.actor_id) for c in changes] == [
        ("closed", "open", staff.pk),
        ("open", "closed", staff.pk),
    ]
    assert changes[0].reason == "forced open by ops-olga: outage"
    assert len(alerts(StaffAlertKind.CIRCUIT_OPEN)) == 1
    assert len(alerts(StaffAlertKind.CIRCUIT_CLOSED)) == 1


# --- the window and the error-rate alert -------------------------------------------------------
def seed_calls(latencies_and_faults, *, code=CODE, ago=timedelta(minutes=1)):
    for latency, fault in latencies_and_faults:
        row = ProviderCall.objects.create(
            provider=code,
            endpoint="order",
            method="POST",
            url=URL,
            request_id="r",
            http_status=500 if fault else 200,
            latency_ms=latency,
            outcome=CallOutcome.HTTP_ERROR if fault else CallOutcome.OK,
            provider_fault=fault,
        )
        ProviderCall.objects.filter(pk=row.pk).update(created_at=START - ago)


def test_the_window_counts_calls_failures_and_latency_percentiles(acme, clock):
    seed_calls([(100, False), (200, False), (300, True), (400, False), (1000, True)])
    seed_calls([(9000, True)], ago=timedelta(minutes=6))  # outside the 5-minute window
    seed_calls([(50, False)], code="other")

    windows = provider_call_windows()

    acme_window = windows[CODE]
    assert (acme_window.calls, acme_window.failures) == (5, 2)
    assert str(acme_window.error_rate) == "40.0"
    assert (acme_window.p50_ms, acme_window.p95_ms) == (300, 880)  # 400 + 0.8 * 600
    assert (windows["other"].calls, windows["other"].p95_ms) == (1, 50)


def test_the_percentiles_without_postgresql_match_percentile_cont():
    window = _window_of([(1000, True), (100, False), (300, True), (200, False), (400, False)])

    assert (window.calls, window.failures, window.p50_ms, window.p95_ms) == (5, 2, 300, 880)


def test_the_error_rate_alert_is_sent_once_per_crossing(acme, clock):
    seed_calls([(100, True), (100, True), (100, False)])  # 67 %, but under 4 calls
    assert providers_error_rate_check() == {}

    seed_calls([(100, False)])  # 4 calls, 50 %: crosses
    assert providers_error_rate_check() == {CODE: "alerted"}
    assert providers_error_rate_check() == {CODE: "still high"}
    assert alerts(StaffAlertKind.ERROR_RATE) == ["Acme: 50.0% of calls failed"]

    seed_calls([(100, False)])  # 40 %: back under
    assert providers_error_rate_check() == {CODE: "back under"}
    assert providers_error_rate_check() == {}
    seed_calls([(100, True), (100, True)])  # 57 %: a second crossing, at the next beat
    clock.shift(timedelta(seconds=60))
    assert providers_error_rate_check() == {CODE: "alerted"}
    assert len(alerts(StaffAlertKind.ERROR_RATE)) == 2

    clock.shift(timedelta(minutes=5))  # the window slides past every call
    assert providers_error_rate_check() == {CODE: "back under"}


# --- two callers at once -------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_callers_in_half_open_get_one_probe(circuit_settings):
    """The first caller takes the probe in a transaction it keeps open; the second, in its
    own database session, reaches the row lock and waits there (seen in pg_stat_activity),
    then reads the probe taken and is refused. No timing decides it."""
    ProviderCircuit.objects.create(
        provider=CODE,
        state=CircuitState.OPEN,
        state_since=datetime(2020, 1, 1, tzinfo=ZoneInfo("UTC")),  # cool-down long over
        consecutive_failures=3,
    )
    results: dict[str, bool] = {}
    first_holds = threading.Event()
    release = threading.Event()

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = provider_circuit_allows(CODE)
                first_holds.set()
                release.wait(30)
        finally:
            connection.close()

    def second() -> None:
        try:
            results["second"] = provider_circuit_allows(CODE)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_holds.wait(30)
    two = threading.Thread(target=second)
    two.start()

    def second_waits_on_the_lock() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0] >= 1

    waited = wait_until(second_waits_on_the_lock, timeout=20, interval=0.05)
    release.set()
    one.join(30)
    two.join(30)

    assert waited
    assert results == {"first": True, "second": False}
    assert ProviderCircuit.objects.get(provider=CODE).state == CircuitState.HALF_OPEN


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_callers_in_half_open_get_one_probe(circuit_settings):
    ProviderCircuit.objects.create(
        provider=CODE,
        state=CircuitState.OPEN,
        state_since=datetime(2020, 1, 1, tzinfo=ZoneInfo("UTC")),
    )
    barrier = threading.Barrier(6)
    answers: list[bool] = []
    lock = threading.Lock()

    def caller() -> None:
        try:
            barrier.wait(30)
            allowed = provider_circuit_allows(CODE)
            with lock:
                answers.append(allowed)
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(answers) == [False] * 5 + [True]


def test_the_beat_runs_the_error_rate_check(acme, clock, settings):
    from providers.tasks import providers_health_check

    assert settings.CELERY_BEAT_SCHEDULE["providers-health-check"] == {
        "task": "providers.tasks.providers_health_check",
        "schedule": 60.0,
    }
    seed_calls([(100, True)] * 4)

    providers_health_check.delay()

    assert alerts(StaffAlertKind.ERROR_RATE) == ["Acme: 100.0% of calls failed"]
    assert ProviderCircuit.objects.get(provider=CODE).error_rate_alerted is True
