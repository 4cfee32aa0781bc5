"""Read side of the queue: waits, estimates, service and counter status, display snapshots."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from kiosk.config import Config, Service, Site
from kiosk.domain import hours, numbering
from kiosk.domain.clock import Clock, business_day, local
from kiosk.domain.counters import counter_services
from kiosk.domain.tickets import ACTIVE, WAITING
from kiosk.models import CounterState, DisplayEvent, DisplaySeq, Ticket

STAFFED = ("idle", "serving")


class Estimator:
    """Mean service time per (site, service) over recent history, cached for a short while."""

    def __init__(self, cfg: Config, clock: Clock, ttl_s: float = 30.0) -> None:
        self.cfg = cfg
        self.clock = clock
        self.ttl_s = ttl_s
        self._cache: dict[tuple[str, str], tuple[float, int]] = {}
        self._staffed: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def service_time_s(self, s: Session, site: Site, service: Service) -> int:
        key = (site.code, service.code)
        with self._lock:
            hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        default = (
            service.default_service_time_s or self.cfg.settings.estimates.default_service_time_s
        )
        since = self.clock.now() - timedelta(days=7)
        rows = s.execute(
            select(Ticket.called_at, Ticket.finished_at)
            .where(
                Ticket.site == site.code,
                Ticket.service == service.code,
                Ticket.status == "done",
                Ticket.finished_at > since,
                Ticket.called_at.is_not(None),
            )
            .order_by(Ticket.finished_at.desc())
            .limit(self.cfg.settings.estimates.history)
        ).all()
        durations = [(f - c).total_seconds() for c, f in rows if f and c and f > c]
        value = round(sum(durations) / len(durations)) if durations else default
        with self._lock:
            self._cache[key] = (time.monotonic() + self.ttl_s, value)
        return value

    def counters_serving(self, s: Session, site: Site, service: Service) -> int:
        """Counters open now for this service; the configured count when none is staffed.
        Cached for a few seconds: counters open and close rarely."""
        key = (site.code, service.code)
        with self._lock:
            hit = self._staffed.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        value = self._count_staffed(s, site, service)
        with self._lock:
            self._staffed[key] = (time.monotonic() + min(self.ttl_s, 5.0), value)
        return value

    def _count_staffed(self, s: Session, site: Site, service: Service) -> int:
        configured = site.counters_serving(service.code)
        today = business_day(self.clock)
        rows = {
            r.number: r
            for r in s.execute(
                select(
                    CounterState.number,
                    CounterState.status,
                    CounterState.services_override,
                    CounterState.override_day,
                ).where(CounterState.site == site.code)
            )
        }
        staffed = len(
            [
                c
                for c in site.counters
                if (r := rows.get(c.number)) is not None
                and r.status in STAFFED
                and service.code in counter_services(r, c, today)
            ]
        )
        return staffed or len(configured)

    def wait_s(self, s: Session, site: Site, service: Service, ahead: int) -> int:
        per = self.service_time_s(s, site, service)
        return round(ahead * per / max(1, self.counters_serving(s, site, service)))


def ahead_of(s: Session, ticket: Ticket) -> int:
    """Waiting tickets of the same service that will be called before ``ticket``."""
    if ticket.status not in WAITING:
        return 0
    # Ticket.business_day keeps the count inside the ticket's own day (and uses the index).
    earlier = or_(
        Ticket.order_at < ticket.order_at,
        and_(Ticket.order_at == ticket.order_at, Ticket.id < ticket.id),
    )
    cond = [
        Ticket.site == ticket.site,
        Ticket.service == ticket.service,
        Ticket.status.in_(WAITING),
        Ticket.id != ticket.id,
    ]
    if ticket.priority:
        cond += [Ticket.priority.is_not(None), earlier]
    else:
        cond.append(or_(Ticket.priority.is_not(None), earlier))
    return s.scalar(select(func.count()).select_from(Ticket).where(*cond)) or 0


@dataclass(frozen=True)
class ServiceStatus:
    service: Service
    open: bool
    reason: str | None  # "closed" | "daily_cap_reached" | None
    reopens_at: datetime | None
    waiting: int
    estimated_wait_s: int
    after_cutoff: bool


def service_status(
    s: Session, cfg: Config, clock: Clock, est: Estimator, site: Site, service: Service
) -> ServiceStatus:
    now_local = local(clock)
    week = site.hours_of(service)
    reason, reopens = None, None
    if not service.enabled:
        reason = "disabled"
    elif not hours.is_open(week, now_local, cfg.settings.holidays):
        reason = "closed"
        reopens = hours.next_opening(week, now_local, cfg.settings.holidays)
    elif (
        service.daily_cap is not None
        and numbering.issued_today(s, site.code, service.code, now_local.date())
        >= service.daily_cap
    ):
        reason = "daily_cap_reached"
        reopens = hours.next_opening(week, now_local, cfg.settings.holidays, skip_today=True)
    waiting = numbering.waiting_now(s, site.code, service.code, now_local.date())
    return ServiceStatus(
        service=service,
        open=reason is None,
        reason=reason,
        reopens_at=reopens,
        waiting=waiting,
        estimated_wait_s=est.wait_s(s, site, service, waiting),
        after_cutoff=service.same_day
        and hours.after_cutoff(now_local, cfg.settings.same_day_cutoff),
    )


def counter_rows(s: Session, site: str) -> dict[int, CounterState]:
    return {r.number: r for r in s.scalars(select(CounterState).where(CounterState.site == site))}


def counter_status(row: CounterState | None) -> str:
    """closed (nobody signed in yet), idle, serving or paused."""
    return row.status if row is not None else "closed"


MISSED_CALLS_SENT = 50


def display_state(
    s: Session, cfg: Config, clock: Clock, display_id: int, since: int | None = None
) -> dict[str, Any]:
    """The snapshot a display gets on connect: current calls and recent history. With
    ``since`` (the last event the display has), also ``missed``: the ``called`` payloads of
    the events after it, oldest first (the latest :data:`MISSED_CALLS_SENT`), so that a
    display that lost events can show and announce them in order."""
    found = cfg.display(display_id)
    assert found is not None
    site, display = found
    last = s.get(DisplaySeq, display_id)
    rows = counter_rows(s, site.code)
    current_ids = [
        r.current_ticket_id
        for n in display.counters
        if (r := rows.get(n)) is not None and r.current_ticket_id is not None
    ]
    current = (
        {t.id: t for t in s.scalars(select(Ticket).where(Ticket.id.in_(current_ids)))}
        if current_ids
        else {}
    )
    now_serving = [
        _call_item(t, clock)
        for n in display.counters
        if (r := rows.get(n)) is not None
        and (t := current.get(r.current_ticket_id or -1))
        and t.status in ACTIVE
    ]
    recent: list[dict[str, Any]] = []
    seen: set[int] = set()
    limit = cfg.settings.calling.recent_calls_shown
    for ev in s.scalars(
        select(DisplayEvent)
        .where(DisplayEvent.display_id == display_id)
        .order_by(DisplayEvent.event_id.desc())
        .limit(limit * 4)
    ):
        if ev.ticket_id in seen:
            continue
        seen.add(ev.ticket_id)
        p = ev.payload
        recent.append(
            {
                "counter": p["counter"],
                "number": p["number"],
                "service": p["service"],
                "called_at": p["called_at"],
            }
        )
        if len(recent) >= limit:
            break
    state: dict[str, Any] = {
        "event_id": last.last_event_id if last else 0,
        "now_serving": now_serving,
        "recent": recent,
    }
    if since is not None:
        missed = s.scalars(
            select(DisplayEvent)
            .where(DisplayEvent.display_id == display_id, DisplayEvent.event_id > since)
            .order_by(DisplayEvent.event_id.desc())
            .limit(MISSED_CALLS_SENT)
        ).all()
        state["missed"] = [{"event_id": ev.event_id, **ev.payload} for ev in reversed(missed)]
    return state


def _call_item(t: Ticket, clock: Clock) -> dict[str, Any]:
    return {
        "counter": t.counter,
        "number": t.number,
        "service": t.service,
        "called_at": local(clock, t.called_at).isoformat() if t.called_at else None,
    }
