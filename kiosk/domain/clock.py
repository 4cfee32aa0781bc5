"""Time for the domain: an injectable clock and the local business day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def __init__(self, tz: str = "Asia/Ho_Chi_Minh") -> None:
        self.tz = ZoneInfo(tz)

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: datetime, tz: str = "Asia/Ho_Chi_Minh") -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.tz = ZoneInfo(tz)
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = at.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


def local(clock: Clock, at: datetime | None = None) -> datetime:
    """``at`` (default: now) in the clock's business timezone."""
    return (at or clock.now()).astimezone(clock.tz)


def business_day(clock: Clock, at: datetime | None = None) -> date:
    """The local calendar day of ``at``: numbering restarts when it changes."""
    return local(clock, at).date()
