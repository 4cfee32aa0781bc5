"""The supervisor's hall: every counter's status, waits against each service's target, no-shows
today; and the two ways a supervisor steers it (a counter's services for the rest of the day,
a priority granted to a waiting ticket, with a reason). Both write the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kiosk.config import Config, Site
from kiosk.domain.clock import Clock, business_day
from kiosk.domain.console import TicketRow, ticket_row, waiting_by_priority_then_order
from kiosk.domain.counters import counter_config, counter_services, lock_counter
from kiosk.domain.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from kiosk.domain.events import CounterChanged, TicketChanged
from kiosk.domain.tickets import (
    ACTIVE,
    STATUS_VI,
    WAITING,
    Actor,
    audit,
    check_site,
    get_ticket,
    record,
)
from kiosk.models import CounterState, Ticket, User

SUPERVISORS = ("supervisor", "admin")


def require_supervisor(actor: Actor, site: str) -> None:
    """Supervisors of ``site`` and admins pass; anyone else is Forbidden."""
    if actor.role not in SUPERVISORS:
        raise Forbidden("Chỉ cán bộ giám sát mới làm được việc này.", en="Supervisors only.")
    check_site(actor, site)


def site_config(cfg: Config, site: str) -> Site:
    found = cfg.site(site)
    if found is None:
        raise NotFound(f"Không có điểm tiếp nhận {site!r}.", en=f"No site {site!r}.", what="site")
    return found


@dataclass(frozen=True)
class CounterView:
    number: int
    name: str
    services: tuple[str, ...]
    overridden: bool
    status: str  # closed | idle | serving | paused
    pause_reason: str | None
    since: datetime | None  # called at (serving) or last change (idle, paused)
    ticket: TicketRow | None
    officer: str | None


@dataclass(frozen=True)
class ServiceView:
    code: str
    name: str
    prefix: str
    target_wait_min: int
    waiting: int
    longest_wait_s: int
    over_target: int
    no_shows: int
    done: int
    counters: tuple[int, ...]  # counters serving it today


@dataclass(frozen=True)
class Overview:
    site: Site
    counters: tuple[CounterView, ...]
    services: tuple[ServiceView, ...]
    waiting: tuple[TicketRow, ...]  # longest wait first
    no_shows: int
    done: int
    longest_wait_s: int


def overview(s: Session, cfg: Config, clock: Clock, site: str) -> Overview:
    """The whole site at a glance, in one read."""
    site_cfg = site_config(cfg, site)
    now = clock.now()
    today = business_day(clock, now)
    rows = {r.number: r for r in s.scalars(select(CounterState).where(CounterState.site == site))}
    current_ids = [r.current_ticket_id for r in rows.values() if r.current_ticket_id]
    current = (
        {t.id: t for t in s.scalars(select(Ticket).where(Ticket.id.in_(current_ids)))}
        if current_ids
        else {}
    )
    officer_ids = {r.officer_id for r in rows.values() if r.officer_id}
    officers = (
        dict(s.execute(select(User.id, User.username).where(User.id.in_(officer_ids))).all())
        if officer_ids
        else {}
    )
    counters = []
    serving: dict[str, list[int]] = {svc.code: [] for svc in site_cfg.services}
    for c in site_cfg.counters:
        row = rows.get(c.number)
        calls = counter_services(row, c, today)
        for code in calls:
            serving.setdefault(code, []).append(c.number)
        t = current.get(row.current_ticket_id) if row and row.current_ticket_id else None
        t = t if t is not None and t.status in ACTIVE else None
        status = row.status if row is not None else "closed"
        counters.append(
            CounterView(
                number=c.number,
                name=c.name,
                services=calls,
                overridden=calls != c.services,
                status=status,
                pause_reason=row.pause_reason if row is not None else None,
                since=(t.called_at if t is not None else row.updated_at if row else None),
                ticket=ticket_row(site_cfg, t, now) if t is not None else None,
                officer=officers.get(row.officer_id) if row and row.officer_id else None,
            )
        )

    waiting = waiting_by_priority_then_order(
        list(
            s.scalars(
                select(Ticket).where(
                    Ticket.site == site,
                    Ticket.business_day == today,
                    Ticket.status.in_(WAITING),
                )
            )
        )
    )
    waiting_rows = sorted(
        (ticket_row(site_cfg, t, now) for t in waiting), key=lambda r: (-r.waited_s, r.id)
    )
    finished = dict(
        s.execute(
            select(Ticket.service, func.count())
            .where(Ticket.site == site, Ticket.business_day == today, Ticket.status == "done")
            .group_by(Ticket.service)
        ).all()
    )
    no_shows = dict(
        s.execute(
            select(Ticket.service, func.count())
            .where(Ticket.site == site, Ticket.business_day == today, Ticket.status == "no_show")
            .group_by(Ticket.service)
        ).all()
    )
    services = []
    for svc in site_cfg.services:
        mine = [r for r in waiting_rows if r.service == svc.code]
        services.append(
            ServiceView(
                code=svc.code,
                name=svc.name,
                prefix=svc.prefix,
                target_wait_min=svc.target_wait_min,
                waiting=len(mine),
                longest_wait_s=max((r.waited_s for r in mine), default=0),
                over_target=sum(1 for r in mine if r.over_target),
                no_shows=int(no_shows.get(svc.code, 0)),
                done=int(finished.get(svc.code, 0)),
                counters=tuple(serving.get(svc.code, ())),
            )
        )
    return Overview(
        site=site_cfg,
        counters=tuple(counters),
        services=tuple(services),
        waiting=tuple(waiting_rows),
        no_shows=sum(int(n) for n in no_shows.values()),
        done=sum(int(n) for n in finished.values()),
        longest_wait_s=max((r.waited_s for r in waiting_rows), default=0),
    )


def set_counter_services(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    site: str,
    number: int,
    services: Sequence[str] | None,
) -> tuple[CounterState, list[CounterChanged]]:
    """Make counter ``number`` call ``services`` (in this order) for the rest of today; ``None``
    or the configured list goes back to the configuration. Supervisors only; audited."""
    require_supervisor(actor, site)
    site_cfg, counter = counter_config(cfg, site, number)
    wanted = tuple(services) if services is not None else counter.services
    if not wanted:
        raise InvalidInput(
            "Quầy phải phục vụ ít nhất một dịch vụ.",
            en="Pick at least one service.",
            field="services",
        )
    unknown = [code for code in wanted if site_cfg.service(code) is None]
    if unknown:
        raise InvalidInput(
            f"Không có dịch vụ {', '.join(unknown)} tại điểm này.",
            en=f"Unknown service: {', '.join(unknown)}.",
            field="services",
        )
    if len(set(wanted)) != len(wanted):
        raise InvalidInput(
            "Mỗi dịch vụ chỉ chọn một lần.", en="A service is listed twice.", field="services"
        )
    now = clock.now()
    today = business_day(clock, now)
    row = lock_counter(s, site, number)
    before = counter_services(row, counter, today)
    if wanted == counter.services:
        row.services_override, row.override_day = None, None
    else:
        row.services_override, row.override_day = list(wanted), today
    row.updated_at = now
    audit(
        s,
        "counter_services_changed",
        now,
        actor,
        site=site,
        counter=number,
        before=list(before),
        after=list(wanted),
        day=today.isoformat(),
    )
    return row, [CounterChanged(site, number, row.status)]


def grant_priority(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    ticket_id: int,
    group: str,
    reason: str,
) -> tuple[Ticket, list[TicketChanged]]:
    """Give a waiting ticket a priority group, recorded with ``reason`` in its history and the
    audit log. Supervisors grant any group; counter staff may only confirm the group the citizen
    asked for at the kiosk (``priority_requested``). Raises Forbidden, InvalidInput,
    InvalidTransition (not waiting any more) and Conflict (already in that group)."""
    ticket = get_ticket(s, ticket_id)
    check_site(actor, ticket.site)
    if actor.role not in SUPERVISORS and ticket.priority_requested != group:
        raise Forbidden(
            "Chỉ cán bộ giám sát mới cấp được ưu tiên này.",
            en="Only a supervisor may grant this priority.",
        )
    if cfg.settings.priority.group(group) is None:
        raise InvalidInput(
            f"Nhóm ưu tiên {group!r} không tồn tại.",
            en=f"No priority group {group!r}.",
            field="group",
        )
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidInput(
            "Hãy ghi lý do (tối đa 200 ký tự).",
            en="Give a reason (up to 200 characters).",
            field="reason",
        )
    if ticket.priority == group:
        raise Conflict(
            f"Phiếu {ticket.number} đã thuộc nhóm ưu tiên này.",
            en=f"Ticket {ticket.number} already has this priority.",
        )
    previous = ticket.priority
    moved = s.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status.in_(WAITING))
        .values(priority=group, priority_requested=None)
        .execution_options(synchronize_session=False)
    )
    s.refresh(ticket)
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidTransition(
            f"Phiếu {ticket.number} không còn trong hàng chờ "
            f"({STATUS_VI.get(ticket.status, ticket.status)}).",
            en=f"Ticket {ticket.number} is not waiting any more.",
            status=ticket.status,
            action="priority",
        )
    now = clock.now()
    site_cfg = cfg.site(ticket.site)
    assert site_cfg is not None
    record(s, ticket, "priority_granted", now, actor, group=group, previous=previous, reason=reason)
    audit(
        s,
        "priority_granted",
        now,
        actor,
        site=ticket.site,
        ticket_id=ticket.id,
        group=group,
        previous=previous,
        reason=reason,
        policy=cfg.policy_for(site_cfg).mode,
    )
    return ticket, [TicketChanged(ticket.id, ticket.site, "priority", ticket.status, None)]
