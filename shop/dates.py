"""Dates and datetimes from outside (query strings, command options) that every layer holds.

Python's datetime stops at years 1 and 9999: a day range (`end + 1 day`) or a move to UTC
(Asia/Jakarta is +07:00) at either edge overflows. Such values are refused as bad input.
"""

from datetime import UTC, date, datetime, timedelta

EARLIEST_DATE = date(1, 1, 1) + timedelta(days=2)
LATEST_DATE = date(9999, 12, 31) - timedelta(days=2)
OUT_OF_RANGE = f"Date out of range: use {EARLIEST_DATE} to {LATEST_DATE}."


def date_in_range(value: date) -> bool:
    """Whether a day (and the day range and time zone moves around it) can be computed."""
    if isinstance(value, datetime):
        try:
            value = value.astimezone(UTC).date() if value.tzinfo else value.date()
        except (OverflowError, ValueError):
            return False
    return EARLIEST_DATE <= value <= LATEST_DATE
