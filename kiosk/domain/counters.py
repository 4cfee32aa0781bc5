"""A counter's own state: its configuration, its row (created on first use and locked for the
transaction that changes it), the services it calls today, and pausing it."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from kiosk.config import Config, Counter, Site
from kiosk.domain.clock import Clock
from kiosk.domain.errors import InvalidInput, NotFound
from kiosk.domain.events import CounterChanged
from kiosk.domain.tickets import Actor, audit, check_site
from kiosk.models import CounterState
from kiosk.storage import ensure_counter


def counter_config(cfg: Config, site: str, number: int) -> tuple[Site, Counter]:
    site_cfg = cfg.site(site)
    if site_cfg is None:
        raise NotFound(f"Không có điểm tiếp nhận {site!r}.", what="site")
    counter = site_cfg.counter(number)
    if counter is None:
        raise NotFound(f"Không có quầy số {number} tại {site}.", what="counter")
    return site_cfg, counter


def lock_counter(s: Session, site: str, number: int) -> CounterState:
    """The counter's state row, created if missing, locked for this transaction."""
    key = {"site": site, "number": number}
    row = s.scalars(_LOCK_COUNTER, key).one_or_none()
    if row is None:  # the counter's first call (a row, once made, is never deleted)
        ensure_counter(s, site, number)
        row = s.scalars(_LOCK_COUNTER, key).one()
    return row


# Built once (building a statement costs more than running it): call-next runs it each time.
_LOCK_COUNTER = (
    select(CounterState)
    .where(CounterState.site == bindparam("site"), CounterState.number == bindparam("number"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


class _Override(Protocol):
    services_override: list[str] | None
    override_day: date | None


def counter_services(row: _Override | None, counter: Counter, today: date) -> tuple[str, ...]:
    """The services a counter calls, in order: today's override, else the configured list."""
    if row is not None and row.services_override and row.override_day == today:
        return tuple(row.services_override)
    return counter.services


def pause_counter(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    site: str,
    number: int,
    reason: str | None,
) -> tuple[CounterState, list[CounterChanged]]:
    """Pause (with a reason) or, with ``reason=None``, resume a counter."""
    check_site(actor, site)
    counter_config(cfg, site, number)
    now = clock.now()
    row = lock_counter(s, site, number)
    if reason is not None:
        reason = reason.strip()
        if not reason or len(reason) > 200:
            raise InvalidInput("Hãy ghi lý do tạm dừng (tối đa 200 ký tự).", field="reason")
        row.status, row.pause_reason = "paused", reason
    else:
        row.status, row.pause_reason = ("serving" if row.current_ticket_id else "idle"), None
    row.updated_at = now
    audit(
        s,
        "counter_paused" if reason else "counter_resumed",
        now,
        actor,
        site=site,
        counter=number,
        reason=reason,
    )
    return row, [CounterChanged(site, number, row.status)]
