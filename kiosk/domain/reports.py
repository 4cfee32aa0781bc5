"""A first, modest report for supervisors: one site, one business day. Tickets per hour and
service, waits and service times per service, counter and officer, no-shows and ratings; and the
day's tickets as CSV rows (no personal data: numbers, times, counters)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.config import Config, Site
from kiosk.domain.clock import Clock, local
from kiosk.domain.supervision import site_config
from kiosk.models import Rating, Ticket, User

K = TypeVar("K")


@dataclass(frozen=True)
class Group:
    """Figures for one service, counter or officer."""

    key: str
    label: str
    issued: int
    served: int
    no_shows: int
    mean_wait_s: int | None
    mean_service_s: int | None
    ratings: int
    mean_rating: float | None


@dataclass(frozen=True)
class HourRow:
    hour: int
    counts: tuple[int, ...]  # per service, in configuration order
    total: int


@dataclass(frozen=True)
class DayReport:
    site: Site
    day: date
    issued: int
    served: int
    no_shows: int
    waiting: int
    hours: tuple[HourRow, ...]
    services: tuple[Group, ...]
    counters: tuple[Group, ...]
    officers: tuple[Group, ...]
    rating_scale: int
    rating_counts: tuple[tuple[int, str, int], ...]  # (score, label, count), best first
    tickets: tuple[Ticket, ...]
    ratings_by_ticket: dict[int, Rating]
    officer_names: dict[int, str]


def wait_s(t: Ticket) -> int | None:
    return int((t.called_at - t.issued_at).total_seconds()) if t.called_at else None


def service_s(t: Ticket) -> int | None:
    if t.status != "done" or t.finished_at is None or t.called_at is None:
        return None
    return int((t.finished_at - (t.started_at or t.called_at)).total_seconds())


def _mean(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known)) if known else None


def _group(key: str, label: str, tickets: list[Ticket], ratings: dict[int, Rating]) -> Group:
    scores = [ratings[t.id].score for t in tickets if t.id in ratings]
    return Group(
        key=key,
        label=label,
        issued=len(tickets),
        served=sum(1 for t in tickets if t.status == "done"),
        no_shows=sum(1 for t in tickets if t.status == "no_show"),
        mean_wait_s=_mean(wait_s(t) for t in tickets),
        mean_service_s=_mean(service_s(t) for t in tickets),
        ratings=len(scores),
        mean_rating=round(sum(scores) / len(scores), 2) if scores else None,
    )


def _by(tickets: list[Ticket], key: Callable[[Ticket], K | None]) -> dict[K, list[Ticket]]:
    out: dict[K, list[Ticket]] = defaultdict(list)
    for t in tickets:
        k = key(t)
        if k is not None:
            out[k].append(t)
    return out


def day_report(s: Session, cfg: Config, clock: Clock, site: str, day: date) -> DayReport:
    site_cfg = site_config(cfg, site)
    tickets = list(
        s.scalars(
            select(Ticket)
            .where(Ticket.site == site, Ticket.business_day == day)
            .order_by(Ticket.issued_at, Ticket.id)
        )
    )
    ids = [t.id for t in tickets]
    ratings = (
        {r.ticket_id: r for r in s.scalars(select(Rating).where(Rating.ticket_id.in_(ids)))}
        if ids
        else {}
    )
    officer_ids = {t.officer_id for t in tickets if t.officer_id}
    officers = (
        dict(s.execute(select(User.id, User.username).where(User.id.in_(officer_ids))).all())
        if officer_ids
        else {}
    )
    codes = [svc.code for svc in site_cfg.services]
    per_hour: dict[int, list[int]] = defaultdict(lambda: [0] * len(codes))
    for t in tickets:
        if t.origin_service in codes:
            per_hour[local(clock, t.issued_at).hour][codes.index(t.origin_service)] += 1
    by_service = _by(tickets, lambda t: t.service)
    by_counter = _by(tickets, lambda t: t.counter)
    by_officer = _by(tickets, lambda t: t.officer_id)
    scale = cfg.settings.rating
    counts: dict[int, int] = defaultdict(int)
    for r in ratings.values():
        counts[r.score] += 1
    return DayReport(
        site=site_cfg,
        day=day,
        issued=len(tickets),
        served=sum(1 for t in tickets if t.status == "done"),
        no_shows=sum(1 for t in tickets if t.status == "no_show"),
        waiting=sum(1 for t in tickets if t.status in ("waiting", "transferred")),
        hours=tuple(HourRow(h, tuple(c), sum(c)) for h, c in sorted(per_hour.items())),
        services=tuple(
            _group(svc.code, svc.name, by_service.get(svc.code, []), ratings)
            for svc in site_cfg.services
        ),
        counters=tuple(
            _group(str(c.number), c.name, by_counter[c.number], ratings)
            for c in site_cfg.counters
            if c.number in by_counter
        ),
        officers=tuple(
            _group(str(uid), officers.get(uid, f"#{uid}"), group, ratings)
            for uid, group in sorted(by_officer.items(), key=lambda kv: officers.get(kv[0], ""))
        ),
        rating_scale=scale.scale,
        rating_counts=tuple(
            (score, scale.labels[score].vi, counts.get(score, 0))
            for score in sorted(scale.labels, reverse=True)
        ),
        tickets=tuple(tickets),
        ratings_by_ticket=ratings,
        officer_names=officers,
    )


CSV_HEADER = (
    "ngay/day",
    "so/number",
    "dich_vu/service",
    "dich_vu_ban_dau/origin_service",
    "uu_tien/priority",
    "trang_thai/status",
    "lay_so/issued",
    "goi/called",
    "bat_dau/started",
    "xong/finished",
    "quay/counter",
    "can_bo/officer",
    "cho_giay/wait_s",
    "phuc_vu_giay/service_s",
    "danh_gia/rating",
)


def tickets_csv(report: DayReport, clock: Clock) -> str:
    """The day's tickets, one line each (UTF-8 text; times local, ISO 8601)."""

    def iso(at: datetime | None) -> str:
        return local(clock, at).isoformat(timespec="seconds") if at else ""

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for t in report.tickets:
        rating = report.ratings_by_ticket.get(t.id)
        writer.writerow(
            (
                report.day.isoformat(),
                t.number,
                t.service,
                t.origin_service,
                t.priority or "",
                t.status,
                iso(t.issued_at),
                iso(t.called_at),
                iso(t.started_at),
                iso(t.finished_at),
                t.counter or "",
                report.officer_names.get(t.officer_id, "") if t.officer_id else "",
                "" if (w := wait_s(t)) is None else w,
                "" if (v := service_s(t)) is None else v,
                rating.score if rating else "",
            )
        )
    return out.getvalue()
