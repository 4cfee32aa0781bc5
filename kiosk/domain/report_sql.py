"""The figures of a report, computed without sending every ticket to Python (a year of a
busy hall is ~150,000 tickets): what :func:`kiosk.domain.figures.figures` computes from one
Fact per ticket. Without filters, or filtered by one service or one priority group, by merging
the days' cells (:mod:`kiosk.domain.report_cells`). With other filters, the database groups
the tickets from :func:`kiosk.domain.report_summary.facts` (plain integers for summarised
days): one GROUP BY gives the counts, sums and rating tallies of each row (the totals are
their sums); two more give, per row, how many tickets waited (or were served) each whole
number of seconds: exact histograms, from which the median and p90 of each row and of the
range are read. Tests check both agree with the per-ticket computation figure by figure."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from kiosk.config import Config, Site
from kiosk.domain import report_cells
from kiosk.domain.clock import Clock
from kiosk.domain.figures import Figures, Stat
from kiosk.domain.report_summary import facts, facts_of_days, on_days, summarised, targets_of
from kiosk.models import ReportCell, User

if TYPE_CHECKING:
    from kiosk.domain.reports import ReportQuery

# The column of the report's facts each grouping is keyed by.
KEY_COLUMN = {
    "service": "service",
    "counter": "counter",
    "officer": "officer_id",  # mapped to the username afterwards
    "hour": "hour",
    "day": "business_day",
    "priority": "priority",
}

Histogram = dict[int, int]  # whole seconds -> how many tickets


def _ranks(n: int) -> tuple[int, int, int]:
    """1-based ranks of the two middle values and of the p90 value (nearest rank) of n."""
    return (n + 1) // 2, (n + 2) // 2, (9 * n + 9) // 10


def _at_ranks(histogram: Histogram) -> dict[int, int]:
    """The values at the median and p90 ranks of the values ``histogram`` counts."""
    wanted = sorted(set(_ranks(sum(histogram.values()))))
    out: dict[int, int] = {}
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while wanted and wanted[0] <= seen:
            out[wanted.pop(0)] = value
        if not wanted:
            break
    return out


def _stat(n: int, total: int, histogram: Histogram) -> Stat:
    if n == 0:
        return Stat(None, None, None)
    low, high, p90 = _ranks(n)
    at = _at_ranks(histogram)
    return Stat(round(total / n, 1), (at[low] + at[high]) / 2, float(at[p90]))


def _day(value: Any, is_day: bool) -> Any:
    """Business days come back as text from SQLite, as dates from PostgreSQL."""
    return date.fromisoformat(value) if is_day and isinstance(value, str) else value


def grouped_figures(
    s: Session, cfg: Config, clock: Clock, site: Site, q: ReportQuery
) -> tuple[dict[Any, Figures], Figures]:
    """Figures per key of ``q.by`` (only keys that have tickets) and for all of them, for
    the :class:`kiosk.domain.reports.ReportQuery` ``q``. From the days' cells
    (:mod:`kiosk.domain.report_cells`) when a part of them answers ``q``'s filters, else
    grouped by the database."""
    if report_cells.part_for(q.filters) is not None:
        return _from_cells(s, cfg, clock, site, q)
    src = facts(s, clock, q)
    key = src.c[KEY_COLUMN[q.by]]
    wait, serve, status = src.c.wait_s, src.c.service_s, src.c.status
    targets = {svc.code: svc.target_wait_min * 60 for svc in site.services}
    target = case(targets, value=src.c.service, else_=None) if targets else literal(None)
    scale = cfg.settings.rating.scale

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    columns = [
        func.count(),
        count_if(status == "done"),
        count_if(status == "no_show"),
        count_if(status == "cancelled"),
        func.sum(src.c.transferred),
        func.count(wait),
        func.sum(wait),
        func.count(serve),
        func.sum(serve),
        count_if(target.is_not(None) & wait.is_not(None)),
        count_if(wait <= target),
        *(count_if(src.c.score == k) for k in range(1, scale + 1)),
    ]
    is_day = q.by == "day"
    sums: dict[Any, list[int]] = {}
    for row in s.execute(select(key, *columns).group_by(key)):
        sums[_day(row[0], is_day)] = [int(v or 0) for v in row[1:]]
    waits = _histograms(s, key, wait, is_day)
    serves = _histograms(s, key, serve, is_day)
    total = [sum(col) for col in zip(*sums.values(), strict=True)] if sums else [0] * len(columns)

    def make(k: Any, v: list[int], wait_h: Histogram, serve_h: Histogram) -> Figures:
        scores = v[11:]
        rated = sum(scores)
        return Figures(
            issued=v[0],
            served=v[1],
            no_show=v[2],
            cancelled=v[3],
            transferred=v[4],
            wait_s=_stat(v[5], v[6], wait_h),
            service_s=_stat(v[7], v[8], serve_h),
            service_level=round(v[10] / v[9], 4) if v[9] else None,
            ratings_count=rated,
            ratings_avg=round(sum((i + 1) * n for i, n in enumerate(scores)) / rated, 2)
            if rated
            else None,
            by_score={str(i + 1): n for i, n in enumerate(scores)},
        )

    rows = {k: make(k, v, waits.get(k, {}), serves.get(k, {})) for k, v in sums.items()}
    all_waits: Counter[int] = Counter()
    all_serves: Counter[int] = Counter()
    for h in waits.values():
        all_waits.update(h)
    for h in serves.values():
        all_serves.update(h)
    totals = make(None, total, all_waits, all_serves)
    if q.by == "officer":
        rows = usernames(s, rows)
    return rows, totals


def _histograms(s: Session, key: Any, value: Any, is_day: bool) -> dict[Any, Histogram]:
    """{key: {seconds: tickets}} of the non-null ``value`` column."""
    out: dict[Any, Histogram] = {}
    rows = s.execute(
        select(key, value, func.count()).where(value.is_not(None)).group_by(key, value)
    )
    for k, v, n in rows:
        out.setdefault(_day(k, is_day), {})[int(v)] = int(n)
    return out


def usernames(s: Session, rows: dict[Any, Any]) -> dict[Any, Any]:
    """``rows`` keyed by officer username instead of user id (None stays None)."""
    ids = [k for k in rows if k is not None]
    names: dict[Any, Any] = {}
    if ids:
        names = {i: n for i, n in s.execute(select(User.id, User.username).where(User.id.in_(ids)))}
    return {(names[k] if k is not None else None): f for k, f in rows.items()}


def merged_cells(
    s: Session, clock: Clock, site: Site, q: ReportQuery
) -> dict[str, report_cells.Cell]:
    """The cells of ``q.by`` over ``q``'s range, merged per encoded key: stored cells (of the
    part answering ``q``'s filters, see :func:`kiosk.domain.report_cells.part_for`) of the
    days summarised with today's target waits, plus cells made now from the tickets of every
    other day of the range."""
    part = report_cells.part_for(q.filters)
    if part is None:
        raise ValueError(f"no cells answer the filters {q.filters}")
    targets = targets_of(site)
    stored = summarised(s, q.site, q.start, q.end, targets)
    every = (q.start + timedelta(days=i) for i in range((q.end - q.start).days + 1))
    others = [d for d in every if d not in stored]
    merged: dict[str, report_cells.Cell] = {}
    if stored:
        days = on_days(ReportCell.business_day, stored)
        report_cells.load(s, q.site, q.by, days, merged, part)
    if others:
        rows = s.execute(select(*facts_of_days(s, clock, q.site, others).c)).all()
        report_cells.live(rows, targets, q.by, merged, part)
    return merged


def _from_cells(
    s: Session, cfg: Config, clock: Clock, site: Site, q: ReportQuery
) -> tuple[dict[Any, Figures], Figures]:
    scale = cfg.settings.rating.scale
    total = report_cells.Cell()
    rows: dict[Any, Figures] = {}
    for code, cell in merged_cells(s, clock, site, q).items():
        rows[report_cells.decode(q.by, code)] = cell.figures(scale)
        total.add(cell)  # sorted by now: the totals merge a few long runs
    if q.by == "officer":
        rows = usernames(s, rows)
    return rows, total.figures(scale)
