"""FoxReload's pending rule: every 5 s for the first minute, then every 30 s up to the
10-minute deadline (it has no webhooks), a last call at the deadline; then, with staff told
and nothing cancelled, every 5 minutes up to two hours and hourly up to 72 hours."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from providers.base import PendingRule, PollPhase
from providers.foxreload.adapter import FoxReloadAdapter

START = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
RULE = FoxReloadAdapter.pending_rule


def offsets() -> list[float]:
    return [offset.total_seconds() for offset in RULE.offsets()]


def test_every_five_seconds_for_the_first_minute():
    assert offsets()[:12] == [5.0 * n for n in range(1, 13)]


def test_then_every_thirty_seconds_up_to_the_ten_minute_deadline():
    assert offsets()[12:30] == [60.0 + 30.0 * n for n in range(1, 19)]
    assert RULE.deadline == timedelta(minutes=10)
    assert offsets()[29] == 600.0  # the deadline's own status call


def test_after_the_deadline_every_5_minutes_to_2_hours_then_hourly_to_72_hours():
    slow = offsets()[30:]
    assert slow[:22] == [600.0 + 300.0 * n for n in range(1, 23)]  # 15 min ... 2 h
    assert slow[22:] == [3600.0 * hours for hours in range(3, 73)]  # 3 h ... 72 h
    assert RULE.hard_stop == timedelta(hours=72)


def test_next_poll_at_is_the_first_call_after_a_time_and_none_after_the_hard_stop():
    assert RULE.next_poll_at(first_requested_at=START, after=START) == START + timedelta(seconds=5)
    # a poll that ran late skips the calls it missed
    assert RULE.next_poll_at(
        first_requested_at=START, after=START + timedelta(seconds=200)
    ) == START + timedelta(seconds=210)
    assert RULE.next_poll_at(first_requested_at=START, after=START + timedelta(hours=72)) is None


def test_pure_and_strictly_increasing():
    first = offsets()
    assert first == offsets()
    assert all(b > a for a, b in itertools.pairwise(first))


def test_a_rule_whose_deadline_is_past_its_hard_stop_is_refused():
    with pytest.raises(ValueError, match="deadline"):
        PendingRule(
            polls=(PollPhase(every=timedelta(minutes=1), until=timedelta(minutes=5)),),
            deadline=timedelta(hours=80),
        )
