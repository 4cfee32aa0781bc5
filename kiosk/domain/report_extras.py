"""The report page's other tables: counter use, pause time by reason, rating reasons
(complaints about staff attitude among them) and guide use at each support point. Each takes
a session and the same :class:`~kiosk.domain.reports.ReportQuery`; rules in docs/reports.md."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from kiosk.config import Config, Site
from kiosk.domain.clock import Clock, local
from kiosk.domain.report_cells import decode, part_for
from kiosk.domain.report_sql import merged_cells, usernames
from kiosk.domain.report_summary import facts
from kiosk.domain.reports import ReportQuery, filtered
from kiosk.models import AuditEntry, Rating, Ticket, UsageCount, User
from kiosk.storage import seconds_between


@dataclass(frozen=True)
class CounterUse:
    counter: int
    served: int
    busy_s: int  # first call → done of the tickets it finished
    staffed_s: int  # per day, its first call to its last finish
    paused_s: int
    utilisation: float | None  # busy / (staffed − paused)


@dataclass(frozen=True)
class PauseTime:
    reason: str
    pauses: int
    seconds: int


@dataclass(frozen=True)
class ReasonCount:
    code: str
    label: str
    label_en: str
    count: int


@dataclass(frozen=True)
class GuideUse:
    site: str
    viewed: int
    printed: int
    help: int
    hall_ticket: int


def _bounds(clock: Clock, start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of the first and after the last business day's midnight."""
    first = datetime.combine(start, time(0), clock.tz)
    after = datetime.combine(end + timedelta(days=1), time(0), clock.tz)
    return first, after


def pauses(s: Session, clock: Clock, q: ReportQuery) -> tuple[list[PauseTime], dict[int, int]]:
    """Pause time by reason, and per counter. A pause lasts from its 'counter_paused' entry to
    the counter's next resume or pause, at most to the end of that business day."""
    first, after = _bounds(clock, q.start, q.end)
    rows = s.execute(
        select(AuditEntry.counter, AuditEntry.action, AuditEntry.at, AuditEntry.details)
        .where(
            AuditEntry.site == q.site,
            AuditEntry.action.in_(("counter_paused", "counter_resumed")),
            AuditEntry.at >= first,
            AuditEntry.at < after,
        )
        .order_by(AuditEntry.counter, AuditEntry.at, AuditEntry.id)
    ).all()
    open_: dict[int, tuple[str, datetime]] = {}
    by_reason: dict[str, list[int]] = defaultdict(list)
    by_counter: dict[int, int] = defaultdict(int)

    def close(counter: int, until: datetime) -> None:
        reason, since = open_.pop(counter)
        day_end = datetime.combine(
            local(clock, since).date() + timedelta(days=1), time(0), clock.tz
        )
        seconds = int((min(until, day_end) - since).total_seconds())
        by_reason[reason].append(seconds)
        by_counter[counter] += seconds

    for counter, action, at, details in rows:
        if counter is None or (q.filters.counter is not None and counter != q.filters.counter):
            continue
        if counter in open_:
            close(counter, at)
        if action == "counter_paused":
            open_[counter] = ((details or {}).get("reason") or "", at)
    for counter in list(open_):
        close(counter, min(after, clock.now()))
    table = [PauseTime(r, len(v), sum(v)) for r, v in by_reason.items()]
    return sorted(table, key=lambda p: (-p.seconds, p.reason)), dict(by_counter)


def counter_use(s: Session, clock: Clock, site: Site, q: ReportQuery) -> list[CounterUse]:
    """Per configured counter: tickets it finished, busy, staffed and paused time."""
    src = facts(s, clock, q)
    per_day = (
        select(
            src.c.counter,
            func.count().filter(src.c.status == "done").label("served"),
            func.sum(src.c.service_s).label("busy"),  # set for done tickets only
            seconds_between(s, func.max(src.c.finished_at), func.min(src.c.first_called_at)).label(
                "span"
            ),
        )
        .where(src.c.counter.is_not(None))
        .group_by(src.c.counter, src.c.business_day)
        .subquery()
    )
    totals = {
        counter: (served, busy, span)
        for counter, served, busy, span in s.execute(
            select(
                per_day.c.counter,
                func.sum(per_day.c.served),
                func.sum(per_day.c.busy),
                func.sum(per_day.c.span),
            ).group_by(per_day.c.counter)
        )
    }
    _, paused = pauses(s, clock, q)
    out = []
    for c in site.counters:
        if q.filters.counter is not None and c.number != q.filters.counter:
            continue
        served, busy, span = totals.get(c.number, (0, 0, 0))
        busy, span, off = int(busy or 0), int(span or 0), paused.get(c.number, 0)
        open_s = span - off
        use = round(min(busy / open_s, 1.0), 4) if open_s > 0 else None
        out.append(CounterUse(c.number, int(served or 0), busy, span, off, use))
    return out


def _reasons_by(
    s: Session, clock: Clock, site: Site, q: ReportQuery, by: str
) -> dict[Any, dict[str, int]]:
    """How often each reason was given with the ratings of ``q``'s tickets, per key of ``by``
    ("officer": usernames): from the days' cells when a part of them answers the filters, else
    from the tickets."""
    if part_for(q.filters) is not None:
        cells = merged_cells(s, clock, site, replace(q, by=by))
        found = {decode(by, code): cell.reasons for code, cell in cells.items()}
        return usernames(s, found) if by == "officer" else found
    rows = s.execute(
        select(User.username if by == "officer" else literal(None), Rating.reasons)
        .select_from(Ticket)
        .join(Rating, Rating.ticket_id == Ticket.id)
        .outerjoin(User, User.id == Ticket.officer_id)
        .where(*filtered(q))
    )
    out: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, reasons in rows:
        for code in reasons or ():
            out[key][code] += 1
    return out


def rating_reasons(
    s: Session, cfg: Config, clock: Clock, site: Site, q: ReportQuery
) -> list[ReasonCount]:
    """How often each configured reason was given with a rating of the range's tickets."""
    counts: dict[str, int] = defaultdict(int)
    for found in _reasons_by(s, clock, site, q, "priority").values():
        for code, n in found.items():
            counts[code] += n
    return [
        ReasonCount(r.code, r.vi, r.en or r.vi, counts.get(r.code, 0))
        for r in cfg.settings.rating.reasons
    ]


def attitude_by_officer(
    s: Session, clock: Clock, site: Site, q: ReportQuery, reason: str = "attitude"
) -> dict[str, int]:
    """Ratings giving ``reason`` (staff attitude), per officer of the ticket's latest call
    (reasons are given at most once a rating)."""
    out = {
        officer or "–": found[reason]
        for officer, found in _reasons_by(s, clock, site, q, "officer").items()
        if found.get(reason)
    }
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def guide_use(s: Session, sites: list[str], start: date, end: date) -> list[GuideUse]:
    """The guide's use counts at each of ``sites`` over the range."""
    rows = s.execute(
        select(UsageCount.site, UsageCount.event, func.sum(UsageCount.count))
        .where(UsageCount.day.between(start, end), UsageCount.site.in_(sites))
        .group_by(UsageCount.site, UsageCount.event)
    ).all()
    counts: dict[str, dict[str, Any]] = defaultdict(dict)
    for site, event, n in rows:
        counts[site][event] = int(n or 0)
    return [
        GuideUse(
            code,
            counts[code].get("viewed", 0),
            counts[code].get("printed", 0),
            counts[code].get("help", 0),
            counts[code].get("hall_ticket", 0),
        )
        for code in sites
    ]
