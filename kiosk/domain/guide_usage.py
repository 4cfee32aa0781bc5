"""The online-submission guide's use of the database: anonymous usage counts, and the
anti-hoarding rule of tickets a support-point kiosk takes for another site. Functions take a
session and never commit. The guide's pure rules live in `kiosk.catalogue.guide`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.domain.errors import Conflict, RateLimited
from kiosk.models import Ticket, UsageCount

Event = Literal["viewed", "printed", "help", "hall_ticket"]
EVENTS: tuple[Event, ...] = ("viewed", "printed", "help", "hall_ticket")


def check_remote_allowed(
    s: Session,
    *,
    device_id: int,
    here: str,
    now: datetime,
    gap_s: int,
    session_used: bool,
) -> None:
    """The anti-hoarding rule of remote tickets: one per guide session, and at most one per
    kiosk every ``gap_s`` seconds. Raises Conflict or RateLimited (with the seconds left)."""
    if session_used:
        raise Conflict(
            "Mỗi lượt sử dụng chỉ lấy được một số tại trụ sở.",
            en="Only one hall ticket per guide session.",
        )
    last = s.scalar(
        select(func.max(Ticket.issued_at)).where(
            Ticket.kiosk_device_id == device_id, Ticket.site != here
        )
    )
    if last is None or gap_s <= 0:
        return
    wait = (last + timedelta(seconds=gap_s) - now).total_seconds()
    if wait > 0:
        raise RateLimited(
            "Máy vừa lấy số tại trụ sở. Xin thử lại sau ít phút.",
            retry_after_s=math.ceil(wait),
            en="This kiosk has just issued a hall ticket. Please try again in a few minutes.",
        )


def record_usage(
    s: Session, day: date, site: str, event: Event, procedure: str | None = None
) -> None:
    """Add one to today's count of ``event`` at ``site`` (for ``procedure``, if any).

    A conditional UPDATE first; the first event of its kind in a day inserts the row, inside a
    savepoint so that a concurrent insert (PostgreSQL) falls back to the UPDATE."""
    if event not in EVENTS:
        raise ValueError(f"unknown usage event {event!r}")
    key = (
        UsageCount.day == day,
        UsageCount.site == site,
        UsageCount.event == event,
        UsageCount.procedure == (procedure or ""),
    )
    bump = update(UsageCount).where(*key).values(count=UsageCount.count + 1)
    bump = bump.execution_options(synchronize_session=False)
    if s.execute(bump).rowcount:  # type: ignore[attr-defined]
        return
    try:
        with s.begin_nested():
            s.add(UsageCount(day=day, site=site, event=event, procedure=procedure or "", count=1))
    except IntegrityError:
        s.execute(bump)


@dataclass(frozen=True)
class Usage:
    day: date
    site: str
    event: str
    procedure: str | None
    count: int


def usage_counts(s: Session, since: date, until: date, site: str | None = None) -> list[Usage]:
    """Counts of each day in [since, until], oldest first (for reports)."""
    query = select(UsageCount).where(UsageCount.day >= since, UsageCount.day <= until)
    if site is not None:
        query = query.where(UsageCount.site == site)
    rows = s.scalars(query.order_by(UsageCount.day, UsageCount.site, UsageCount.event))
    return [Usage(r.day, r.site, r.event, r.procedure or None, r.count) for r in rows]


def popular(s: Session, site: str, since: date, limit: int) -> list[str]:
    """Procedure codes most viewed at ``site`` since ``since``, most first."""
    total = func.sum(UsageCount.count)
    rows = s.execute(
        select(UsageCount.procedure, total)
        .where(
            UsageCount.site == site,
            UsageCount.event == "viewed",
            UsageCount.day >= since,
            UsageCount.procedure != "",
        )
        .group_by(UsageCount.procedure)
        .order_by(total.desc(), UsageCount.procedure)
        .limit(limit)
    )
    return [code for code, _ in rows]
