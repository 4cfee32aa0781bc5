"""Where a report reads its tickets from: the summary of closed business days
(``report_facts``) and, for every other day of the range, the tickets themselves.

A closed business day's tickets are copied once into ``report_facts`` with every input of the
figures as a plain value (durations as whole seconds, the local hour of issue), by the same
SQL expressions a live report evaluates on ``tickets``, so both give identical figures; its
per-key cells (:mod:`kiosk.domain.report_cells`) are made from that copy at the same time.
``report_days`` lists the days summarised; database triggers (``kiosk.report_triggers``) take a
day off the list whenever one of its tickets or ratings changes, and a day off the list is
read from the tickets until it is summarised again. Today is never summarised. Rules and
the reasons for this design: docs/reports.md ("How reports stay fast").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, delete, insert, literal, or_, select
from sqlalchemy.orm import Session

from kiosk.config import Site
from kiosk.domain import report_cells
from kiosk.domain.clock import Clock, business_day
from kiosk.domain.report_cells import NORMAL
from kiosk.models import Rating, ReportDay, ReportFact, Ticket, User
from kiosk.storage import hour_of, lock_for_changes, seconds_between

if TYPE_CHECKING:
    from kiosk.domain.reports import ReportQuery

COLUMNS = (
    "business_day",
    "hour",
    "service",
    "counter",
    "officer_id",
    "priority",
    "status",
    "wait_s",
    "service_s",
    "transferred",
    "score",
    "first_called_at",
    "finished_at",
    "reasons",
)


def local_hour(s: Session, clock: Clock, day: date) -> Any:
    """SQL for the local hour of issue. One offset for a whole range: Vietnam has kept UTC+7
    since 1975 (no daylight saving)."""
    offset = clock.tz.utcoffset(datetime.combine(day, time(12)))
    return hour_of(s, Ticket.issued_at, int(offset.total_seconds()) if offset is not None else 0)


def ticket_columns(s: Session, clock: Clock, day: date) -> dict[str, Any]:
    """Each of :data:`COLUMNS` computed from ``tickets`` outer-joined with ``ratings``."""
    done = Ticket.status == "done"
    return {
        "business_day": Ticket.business_day,
        "hour": local_hour(s, clock, day),
        "service": Ticket.origin_service,
        "counter": Ticket.last_counter,
        "officer_id": Ticket.officer_id,
        "priority": Ticket.priority,
        "status": Ticket.status,
        "wait_s": seconds_between(s, Ticket.first_called_at, Ticket.issued_at),
        "service_s": case(
            (done, seconds_between(s, Ticket.finished_at, Ticket.first_called_at)), else_=None
        ),
        "transferred": case((Ticket.transfers > 0, 1), else_=0),
        "score": Rating.score,
        "first_called_at": Ticket.first_called_at,
        "finished_at": Ticket.finished_at,
        "reasons": Rating.reasons,
    }


def runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """``days`` as the fewest (first, last) runs of consecutive days."""
    out: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if out and out[-1][1] + timedelta(days=1) == d:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def on_days(column: Any, days: Iterable[date]) -> Any:
    return or_(*(column.between(a, b) for a, b in runs(days)))


def targets_of(site: Site) -> dict[str, int]:
    """Target wait in seconds per service code of ``site``."""
    return {svc.code: svc.target_wait_min * 60 for svc in site.services}


def fingerprint(targets: dict[str, int]) -> str:
    return json.dumps(sorted(targets.items()))


def summarised(
    s: Session, site: str, start: date, end: date, targets: dict[str, int] | None = None
) -> set[date]:
    """The days of the range whose tickets ``report_facts`` holds, all of them and current
    (and, given ``targets``, whose cells were counted with those target waits)."""
    where = [ReportDay.site == site, ReportDay.business_day.between(start, end)]
    if targets is not None:
        where.append(ReportDay.targets == fingerprint(targets))
    return set(s.scalars(select(ReportDay.business_day).where(*where)))


def unsummarised(s: Session, clock: Clock, site: Site, start: date, end: date) -> list[date]:
    """The closed business days (before today) of the range that are not summarised, or
    were with other target waits."""
    last = min(end, business_day(clock) - timedelta(days=1))
    if last < start:
        return []
    have = summarised(s, site.code, start, last, targets_of(site))
    days = (start + timedelta(days=i) for i in range((last - start).days + 1))
    return [d for d in days if d not in have]


def summarise(s: Session, clock: Clock, site: Site, days: list[date]) -> None:
    """Copy the tickets of ``days`` (closed business days of ``site``) into ``report_facts``,
    make their cells (``report_cells``) and list them in ``report_days``. Raises
    IntegrityError when another transaction summarised one of them first (then roll back: it
    did the work)."""
    if not days:
        return
    targets = targets_of(site)
    code = site.code
    # Wait for every transaction writing tickets or ratings to commit (its trigger then finds
    # nothing to forget), and hold new ones until this commits (then their trigger forgets the
    # day again): no change slips between the copy and its listing. Writes wait for one
    # day's copy, a few milliseconds.
    lock_for_changes(s, "tickets", "ratings", others_write=True)
    s.execute(delete(ReportDay).where(ReportDay.site == code, ReportDay.business_day.in_(days)))
    mark = fingerprint(targets)
    s.execute(insert(ReportDay), [{"site": code, "business_day": d, "targets": mark} for d in days])
    s.execute(
        delete(ReportFact).where(ReportFact.site == code, on_days(ReportFact.business_day, days))
    )
    columns = ticket_columns(s, clock, min(days))
    copy = (
        select(literal(code), Ticket.id, *columns.values())
        .select_from(Ticket)
        .outerjoin(Rating, Rating.ticket_id == Ticket.id)
        .where(Ticket.site == code, on_days(Ticket.business_day, days))
    )
    s.execute(insert(ReportFact).from_select(["site", "ticket_id", *columns], copy))
    copied = s.execute(
        select(*(getattr(ReportFact, name) for name in COLUMNS)).where(
            ReportFact.site == code, on_days(ReportFact.business_day, days)
        )
    ).all()
    report_cells.store(s, code, days, copied, targets)


def _filters(
    columns: dict[str, Any], service: Any, counter: Any, officer: Any, priority: Any
) -> list[Any]:
    out = []
    if service is not None:
        out.append(columns["service"] == service)
    if counter is not None:
        out.append(columns["counter"] == counter)
    if officer is not None:
        officer_id = select(User.id).where(User.username == officer).scalar_subquery()
        out.append(columns["officer_id"] == officer_id)
    if priority == NORMAL:
        out.append(columns["priority"].is_(None))
    elif priority is not None:
        out.append(columns["priority"] == priority)
    return out


def facts_of_days(s: Session, clock: Clock, site: str, days: list[date]) -> Any:
    """A subquery with :data:`COLUMNS`, one row per ticket of ``site`` issued on ``days``,
    from ``tickets``."""
    columns = ticket_columns(s, clock, min(days))
    return (
        select(*(c.label(n) for n, c in columns.items()))
        .select_from(Ticket)
        .outerjoin(Rating, Rating.ticket_id == Ticket.id)
        .where(Ticket.site == site, on_days(Ticket.business_day, days))
        .subquery("facts")
    )


def facts(s: Session, clock: Clock, q: ReportQuery) -> Any:
    """A subquery with :data:`COLUMNS`, one row per ticket of report query ``q`` (a
    :class:`kiosk.domain.reports.ReportQuery`, filters applied): summarised days from
    ``report_facts``, every other day from ``tickets``."""
    f = q.filters
    where = (f.service, f.counter, f.officer, f.priority)
    stored = summarised(s, q.site, q.start, q.end)
    every = (q.start + timedelta(days=i) for i in range((q.end - q.start).days + 1))
    live = [d for d in every if d not in stored]
    parts = []
    if stored:
        columns = {name: getattr(ReportFact, name) for name in COLUMNS}
        parts.append(
            select(*(c.label(n) for n, c in columns.items())).where(
                ReportFact.site == q.site,
                on_days(ReportFact.business_day, stored),
                *_filters(columns, *where),
            )
        )
    if live:
        columns = ticket_columns(s, clock, q.start)
        parts.append(
            select(*(c.label(n) for n, c in columns.items()))
            .select_from(Ticket)
            .outerjoin(Rating, Rating.ticket_id == Ticket.id)
            .where(
                Ticket.site == q.site,
                on_days(Ticket.business_day, live),
                *_filters(columns, *where),
            )
        )
    if len(parts) == 1:
        return parts[0].subquery("facts")
    return parts[0].union_all(parts[1]).subquery("facts")
