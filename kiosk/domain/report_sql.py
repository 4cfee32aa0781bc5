"""The figures of a report computed by the database: what :func:`kiosk.domain.figures.figures`
computes from one Fact per ticket, without sending every ticket to Python (a year of a busy
hall is ~150,000 rows). One GROUP BY gives the counts, sums and rating tallies of each row
(the totals are their sums); one more query returns each called ticket's two durations,
sorted here to read the values at the median and p90 ranks of each row and of the range. Tests
check both ways agree figure by figure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Integer, case, cast, func, literal, select
from sqlalchemy.orm import Session

from kiosk.config import Config, Site
from kiosk.domain.clock import Clock
from kiosk.domain.figures import Figures, Stat
from kiosk.models import Rating, Ticket, User


def local_hour(s: Session, clock: Clock, start: date) -> Any:
    """SQL for the local hour of issue. One offset for the whole range: Vietnam has kept
    UTC+7 since 1975 (no daylight saving)."""
    offset = clock.tz.utcoffset(datetime.combine(start, time(12)))
    offset_s = int(offset.total_seconds()) if offset is not None else 0
    if s.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%H", Ticket.issued_at, f"{offset_s:+d} seconds"), Integer)
    shifted = Ticket.issued_at + func.make_interval(0, 0, 0, 0, 0, 0, literal(offset_s))
    return cast(func.extract("hour", shifted), Integer)


def key_column(s: Session, clock: Clock, by: str, start: date) -> Any:
    columns: dict[str, Callable[[], Any]] = {
        "service": lambda: Ticket.origin_service,
        "counter": lambda: Ticket.last_counter,
        "officer": lambda: User.username,
        "hour": lambda: local_hour(s, clock, start),
        "day": lambda: Ticket.business_day,
        "priority": lambda: Ticket.priority,
    }
    return columns[by]()


def _ranks(n: int) -> tuple[int, int, int]:
    """1-based ranks of the two middle values and of the p90 value (nearest rank) of n."""
    return (n + 1) // 2, (n + 2) // 2, (9 * n + 9) // 10


def _stat(n: int, total: int, at: dict[int, int]) -> Stat:
    if n == 0:
        return Stat(None, None, None)
    low, high, p90 = _ranks(n)
    return Stat(round(total / n, 1), (at[low] + at[high]) / 2, float(at[p90]))


def _day(value: Any, is_day: bool) -> Any:
    """Business days come back as text from SQLite, as dates from PostgreSQL."""
    return date.fromisoformat(value) if is_day and isinstance(value, str) else value


def grouped_figures(
    s: Session,
    cfg: Config,
    clock: Clock,
    site: Site,
    by: str,
    start: date,
    where: list[Any],
    join_users: bool = True,
) -> tuple[dict[Any, Figures], Figures]:
    """Figures per key of ``by`` (only keys that have tickets) and for all of them;
    ``join_users`` when ``by`` or a clause of ``where`` names the officer."""
    from kiosk.domain.reports import seconds_between

    key = key_column(s, clock, by, start)
    wait = seconds_between(s, Ticket.first_called_at, Ticket.issued_at)
    serve = case(
        (Ticket.status == "done", seconds_between(s, Ticket.finished_at, Ticket.first_called_at)),
        else_=None,
    )
    targets = {svc.code: svc.target_wait_min * 60 for svc in site.services}
    target = case(targets, value=Ticket.origin_service, else_=None) if targets else literal(None)
    scale = cfg.settings.rating.scale

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    columns = [
        func.count(),
        count_if(Ticket.status == "done"),
        count_if(Ticket.status == "no_show"),
        count_if(Ticket.status == "cancelled"),
        count_if(Ticket.transfers > 0),
        func.count(wait),
        func.sum(wait),
        func.count(serve),
        func.sum(serve),
        count_if(target.is_not(None) & wait.is_not(None)),
        count_if(wait <= target),
        *(count_if(Rating.score == k) for k in range(1, scale + 1)),
    ]
    base = (
        select(key.label("k"), *columns)
        .select_from(_tickets(join_users))
        .outerjoin(Rating, Rating.ticket_id == Ticket.id)
        .where(*where)
        .group_by(key)
    )
    sums: dict[Any, list[int]] = {}
    for row in s.execute(base):
        sums[_day(row[0], by == "day")] = [int(v or 0) for v in row[1:]]
    source = _tickets(join_users)
    by_wait, by_serve = _ranked(s, key, wait, serve, where, by == "day", source)
    total = [sum(col) for col in zip(*sums.values(), strict=True)] if sums else [0] * len(columns)

    def make(k: Any, v: list[int]) -> Figures:
        waits, services = by_wait, by_serve
        scores = v[11:]
        rated = sum(scores)
        return Figures(
            issued=v[0],
            served=v[1],
            no_show=v[2],
            cancelled=v[3],
            transferred=v[4],
            wait_s=_stat(v[5], v[6], waits.get(k, {})),
            service_s=_stat(v[7], v[8], services.get(k, {})),
            service_level=round(v[10] / v[9], 4) if v[9] else None,
            ratings_count=rated,
            ratings_avg=round(sum((i + 1) * n for i, n in enumerate(scores)) / rated, 2)
            if rated
            else None,
            by_score={str(i + 1): n for i, n in enumerate(scores)},
        )

    return {k: make(k, v) for k, v in sums.items()}, make(_TOTAL, total)


def _tickets(join_users: bool) -> Any:
    """Tickets, joined with their officer only when the key or a filter needs the username
    (the join costs a lookup per ticket)."""
    return Ticket.__table__.outerjoin(User, User.id == Ticket.officer_id) if join_users else Ticket


_TOTAL = object()  # the key of the whole range among the ranked values


def _ranked(
    s: Session,
    key: Any,
    wait: Any,
    serve: Any,
    where: list[Any],
    is_day: bool,
    source: Any,
) -> tuple[dict[Any, dict[int, int]], dict[Any, dict[int, int]]]:
    """Waits and service times at their median and p90 ranks, per key and for the whole range
    (under ``_TOTAL``): ({key: {rank: value}}, same for service times). One query returns the
    two durations of each called ticket (three small integers a row); sorting them here took
    less than half the time of the database's GROUP BY histogram or window ranking."""
    rows = s.execute(
        select(key, wait, serve).select_from(source).where(*where, wait.is_not(None))
    ).all()
    waits: dict[Any, list[int]] = defaultdict(list)
    serves: dict[Any, list[int]] = defaultdict(list)
    for k, w, v in rows:
        waits[k].append(w)
        if v is not None:
            serves[k].append(v)
    return _at_ranks(waits, is_day), _at_ranks(serves, is_day)


def _at_ranks(values: dict[Any, list[int]], is_day: bool) -> dict[Any, dict[int, int]]:
    out: dict[Any, dict[int, int]] = {}
    everything: list[int] = []
    for k, found in values.items():
        found.sort()
        everything.extend(found)
        out[_day(k, is_day)] = {r: found[r - 1] for r in _ranks(len(found))}
    everything.sort()
    out[_TOTAL] = {r: everything[r - 1] for r in _ranks(len(everything))} if everything else {}
    return out
