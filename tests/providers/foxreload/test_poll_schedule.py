"""FoxReload's polling schedule: every 5 s for the first minute, then every 30 s, up to
10 minutes after the first request (it has no webhooks)."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from providers.foxreload.adapter import FoxReloadAdapter
from providers.foxreload.client import FoxReloadClient

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def adapter() -> FoxReloadAdapter:
    return FoxReloadAdapter(client=FoxReloadClient(base_url="https://fox.test", api_key="k"))


def offsets(adapter: FoxReloadAdapter, count: int) -> list[float | None]:
    times = [adapter.poll_schedule(first_requested_at=START, poll_count=n) for n in range(count)]
    return [None if t is None else (t - START).total_seconds() for t in times]


def test_every_five_seconds_for_the_first_minute(adapter):
    assert offsets(adapter, 12) == [5.0 * n for n in range(1, 13)]


def test_then_every_thirty_seconds_up_to_ten_minutes(adapter):
    slow = offsets(adapter, 30)[12:]
    assert slow == [60.0 + 30.0 * n for n in range(1, 19)]
    assert slow[-1] == 600.0


def test_none_once_the_ten_minute_budget_is_spent(adapter):
    assert adapter.poll_schedule(first_requested_at=START, poll_count=30) is None
    assert adapter.poll_schedule(first_requested_at=START, poll_count=1000) is None
    assert adapter.max_polls == 30  # the base class's budget agrees with the schedule


def test_pure_and_strictly_increasing(adapter):
    first = offsets(adapter, 30)
    assert first == offsets(adapter, 30)
    assert all(b > a for a, b in itertools.pairwise(first))
    later = START + timedelta(hours=3)
    assert adapter.poll_schedule(first_requested_at=later, poll_count=0) == later + timedelta(
        seconds=5
    )


def test_negative_poll_count_is_refused(adapter):
    with pytest.raises(ValueError, match="negative"):
        adapter.poll_schedule(first_requested_at=START, poll_count=-1)
