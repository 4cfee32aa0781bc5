"""Reports for supervisors: one site, a range of business days, grouped one way.

:func:`build_report` has the database group and count the tickets of the range
(:mod:`kiosk.domain.report_sql`, reading closed days from their summary,
:mod:`kiosk.domain.report_summary`); the API, the ``/reports`` page and the CSV/XLSX exports
all call it, so they show the same numbers. :func:`load_facts` and :func:`group` compute the
same figures in Python from one :class:`~kiosk.domain.figures.Fact` per ticket, read from the
tickets themselves: the reference the tests compare with. Rules: ``docs/reports.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from kiosk.config import Config, Site
from kiosk.domain.clock import Clock
from kiosk.domain.errors import Forbidden, InvalidInput, NotFound
from kiosk.domain.figures import Fact, Figures, figures
from kiosk.domain.report_cells import NORMAL
from kiosk.domain.report_summary import local_hour
from kiosk.models import Rating, Ticket, User
from kiosk.storage import seconds_between

GROUPINGS = ("service", "counter", "officer", "hour", "day", "priority")
MAX_DAYS = 366  # a leap year: the longest range one report covers


@dataclass(frozen=True)
class Filters:
    service: str | None = None
    counter: int | None = None
    officer: str | None = None  # username
    priority: str | None = None  # a group code, or NORMAL

    def query(self) -> dict[str, str]:
        """As URL query parameters (only those set)."""
        out = {"service": self.service, "counter": self.counter, "officer": self.officer}
        out["priority"] = self.priority
        return {k: str(v) for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class ReportQuery:
    site: str
    start: date
    end: date
    by: str = "service"
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True)
class Row:
    key: Any  # str, int, ISO date text or None (see docs/reports.md)
    figures: Figures


@dataclass(frozen=True)
class Report:
    site: Site
    start: date
    end: date
    by: str
    filters: Filters
    totals: Figures
    rows: tuple[Row, ...]

    def as_dict(self) -> dict[str, Any]:
        """The API body: ``{"site","from","to","by","totals","rows":[{"key", …F}]}``."""
        return {
            "site": self.site.code,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "by": self.by,
            "filters": self.filters.query(),
            "totals": self.totals.as_dict(),
            "rows": [{"key": r.key, **r.figures.as_dict()} for r in self.rows],
        }


def check_query(cfg: Config, allowed_site: str | None, q: ReportQuery) -> Site:
    """The site of ``q`` after every check. Raises NotFound (site), Forbidden (a user bound to
    another site) and InvalidInput (range reversed or longer than MAX_DAYS, unknown grouping,
    service or priority group)."""
    site = cfg.site(q.site)
    if site is None:
        raise NotFound(f"Không có điểm tiếp nhận {q.site!r}.", en="No such site.", what="site")
    if allowed_site is not None and allowed_site != site.code:
        raise Forbidden(
            "Tài khoản này không xem được báo cáo của điểm đó.",
            en="This account cannot see that site's reports.",
        )
    if q.start > q.end:
        raise InvalidInput(
            "Ngày bắt đầu phải trước ngày kết thúc.",
            en="'from' must not be after 'to'.",
            field="from",
        )
    if (q.end - q.start).days + 1 > MAX_DAYS:
        raise InvalidInput(
            f"Mỗi báo cáo tối đa {MAX_DAYS} ngày.",
            en=f"A report covers at most {MAX_DAYS} days.",
            field="to",
        )
    if q.by not in GROUPINGS:
        raise InvalidInput(
            f"'by' phải là một trong: {', '.join(GROUPINGS)}.",
            en=f"'by' must be one of: {', '.join(GROUPINGS)}.",
            field="by",
        )
    f = q.filters
    if f.service is not None and site.service(f.service) is None:
        raise InvalidInput("Không có dịch vụ đó.", en="No such service.", field="service")
    groups = {g.code for g in cfg.settings.priority.groups}
    if f.priority is not None and f.priority != NORMAL and f.priority not in groups:
        raise InvalidInput(
            "Không có nhóm ưu tiên đó.", en="No such priority group.", field="priority"
        )
    return site


def filtered(q: ReportQuery) -> list[Any]:
    """The WHERE clauses of ``q`` on tickets (joined with users for the officer)."""
    clauses = [Ticket.site == q.site, Ticket.business_day.between(q.start, q.end)]
    f = q.filters
    if f.service is not None:
        clauses.append(Ticket.origin_service == f.service)
    if f.counter is not None:
        clauses.append(Ticket.last_counter == f.counter)
    if f.officer is not None:
        clauses.append(User.username == f.officer)
    if f.priority == NORMAL:
        clauses.append(Ticket.priority.is_(None))
    elif f.priority is not None:
        clauses.append(Ticket.priority == f.priority)
    return clauses


def load_facts(s: Session, cfg: Config, clock: Clock, site: Site, q: ReportQuery) -> list[Fact]:
    """One Fact per ticket of ``q`` (one query), read from the tickets themselves: the
    reference the summarised figures are tested against."""
    rows = s.execute(
        select(
            Ticket.business_day,
            local_hour(s, clock, q.start),
            Ticket.origin_service,
            Ticket.last_counter,
            User.username,
            Ticket.priority,
            Ticket.status,
            seconds_between(s, Ticket.first_called_at, Ticket.issued_at),
            seconds_between(s, Ticket.finished_at, Ticket.first_called_at),
            Ticket.transfers,
            Rating.score,
        )
        .select_from(Ticket)
        .outerjoin(User, User.id == Ticket.officer_id)
        .outerjoin(Rating, Rating.ticket_id == Ticket.id)
        .where(*filtered(q))
    ).all()
    targets = {svc.code: svc.target_wait_min * 60 for svc in site.services}
    facts = []
    for day, hour, svc, counter, officer, prio, status, wait, serve, moved, score in rows:
        target = targets.get(svc)
        facts.append(
            Fact(
                day=day,
                hour=hour,
                service=svc,
                counter=counter,
                officer=officer,
                priority=prio,
                status=status,
                wait_s=wait,
                service_s=serve if status == "done" else None,
                within_target=None if wait is None or target is None else wait <= target,
                transferred=bool(moved),
                score=score,
            )
        )
    return facts


def _keys(cfg: Config, site: Site, q: ReportQuery, found: set[Any]) -> list[Any]:
    """Every row key, in display order: configured ones first, then whatever else occurs."""
    known: list[Any]
    if q.by == "service":
        known = [svc.code for svc in site.services]
    elif q.by == "counter":
        known = [c.number for c in site.counters]
    elif q.by == "priority":
        known = [None, *(g.code for g in cfg.settings.priority.groups)]
        return [k for k in known if k in found] + sorted(found - set(known))
    elif q.by == "day":
        return [q.start + timedelta(days=i) for i in range((q.end - q.start).days + 1)]
    elif q.by == "hour":
        return list(range(min(found), max(found) + 1)) if found else []
    else:
        known = sorted(k for k in found if k is not None)
    rest = sorted(k for k in found - set(known) if k is not None)
    return known + rest + ([None] if None in found else [])


KEY: dict[str, Callable[[Fact], Any]] = {
    "service": lambda f: f.service,
    "counter": lambda f: f.counter,
    "officer": lambda f: f.officer,
    "hour": lambda f: f.hour,
    "day": lambda f: f.day,
    "priority": lambda f: f.priority,
}


def group(cfg: Config, site: Site, q: ReportQuery, facts: list[Fact]) -> Report:
    """Group ``facts`` by ``q.by``; every ticket falls in exactly one row, so the rows add up
    to the totals (counts; averages are of the tickets in each row)."""
    scale = cfg.settings.rating.scale
    key = KEY[q.by]
    groups: dict[Any, list[Fact]] = defaultdict(list)
    for f in facts:
        groups[key(f)].append(f)
    rows = tuple(
        Row(k.isoformat() if isinstance(k, date) else k, figures(groups.get(k, []), scale))
        for k in _keys(cfg, site, q, set(groups))
    )
    return Report(site, q.start, q.end, q.by, q.filters, figures(facts, scale), rows)


def build_report(
    s: Session, cfg: Config, clock: Clock, q: ReportQuery, allowed_site: str | None
) -> Report:
    """The report of ``q`` for a caller limited to ``allowed_site`` (None: every site),
    computed by the database (:mod:`kiosk.domain.report_sql`). Raises what
    :func:`check_query` raises."""
    from kiosk.domain.report_sql import grouped_figures

    site = check_query(cfg, allowed_site, q)
    found, totals = grouped_figures(s, cfg, clock, site, q)
    empty = figures([], cfg.settings.rating.scale)
    rows = tuple(
        Row(k.isoformat() if isinstance(k, date) else k, found.get(k, empty))
        for k in _keys(cfg, site, q, set(found))
    )
    return Report(site, q.start, q.end, q.by, q.filters, totals, rows)


def period(kind: str, anchor: date) -> tuple[date, date]:
    """The business days of the day, week (Monday first), month, quarter or year that holds
    ``anchor``. Raises InvalidInput for another kind."""
    if kind == "day":
        return anchor, anchor
    if kind == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    if kind == "month":
        start = anchor.replace(day=1)
    elif kind == "quarter":
        start = anchor.replace(month=3 * ((anchor.month - 1) // 3) + 1, day=1)
    elif kind == "year":
        return anchor.replace(month=1, day=1), anchor.replace(month=12, day=31)
    else:
        raise InvalidInput("Kỳ báo cáo không hợp lệ.", en="Unknown period.", field="period")
    months = 1 if kind == "month" else 3
    year, month = divmod(start.month - 1 + months, 12)
    return start, date(start.year + year, month + 1, 1) - timedelta(days=1)


def officers_of(s: Session, site: str, start: date, end: date) -> list[str]:
    """Usernames of the officers who called tickets at ``site`` in the range (for filters)."""
    rows = s.scalars(
        select(User.username)
        .join(Ticket, and_(Ticket.officer_id == User.id))
        .where(Ticket.site == site, Ticket.business_day.between(start, end))
        .distinct()
        .order_by(User.username)
    )
    return list(rows)
