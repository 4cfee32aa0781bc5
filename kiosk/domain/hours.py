"""Opening hours: is a service open now, and when does it reopen."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kiosk.config import WEEKDAYS, Interval

Week = Mapping[str, tuple[Interval, ...]]


def _intervals(week: Week, day: date, holidays: Iterable[date]) -> tuple[Interval, ...]:
    if day in set(holidays):
        return ()
    return week.get(WEEKDAYS[day.weekday()], ())


def is_open(week: Week, at_local: datetime, holidays: Iterable[date] = ()) -> bool:
    """Whether ``at_local`` (aware, local time) falls inside an opening interval."""
    minute = at_local.hour * 60 + at_local.minute
    return any(
        i.start_minute <= minute < i.end_minute for i in _intervals(week, at_local.date(), holidays)
    )


def next_opening(
    week: Week,
    after_local: datetime,
    holidays: Iterable[date] = (),
    *,
    skip_today: bool = False,
    horizon_days: int = 21,
) -> datetime | None:
    """Start of the first opening interval strictly after ``after_local`` (local, aware).

    With ``skip_today`` the search begins on the next day (a daily cap resets at midnight).
    Returns None when nothing opens within ``horizon_days``.
    """
    tz = after_local.tzinfo
    assert isinstance(tz, ZoneInfo)
    holidays = tuple(holidays)
    minute = after_local.hour * 60 + after_local.minute
    for offset in range(1 if skip_today else 0, horizon_days + 1):
        day = after_local.date() + timedelta(days=offset)
        for i in _intervals(week, day, holidays):
            if offset == 0 and i.start_minute <= minute:
                continue
            return datetime.combine(day, i.start, tzinfo=tz)
    return None


def after_cutoff(at_local: datetime, cutoff: time) -> bool:
    return at_local.timetz().replace(tzinfo=None) >= cutoff
