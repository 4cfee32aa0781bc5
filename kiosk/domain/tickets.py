"""Issuing tickets and the ticket state machine (everything except choosing whom to call)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kiosk.config import Config, Site
from kiosk.domain import hours, numbering
from kiosk.domain.clock import Clock, business_day, local
from kiosk.domain.errors import (
    DailyCapReached,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ServiceClosed,
)
from kiosk.domain.events import TicketChanged, TicketIssued
from kiosk.models import AuditEntry, Ticket, TicketEvent

WAITING = ("waiting", "transferred")  # statuses call-next may pick
ACTIVE = ("called", "serving")  # statuses that occupy a counter


@dataclass(frozen=True)
class Actor:
    """Who asks: a user (staff/supervisor/admin) or a device, and from where."""

    user_id: int | None = None
    device_id: int | None = None
    role: str | None = None
    site: str | None = None  # None: every site
    address: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.user_id is not None


_INSERT_EVENT = insert(TicketEvent.metadata.tables[TicketEvent.__tablename__])


def record(
    s: Session,
    ticket: Ticket,
    kind: str,
    at: datetime,
    actor: Actor,
    counter: int | None = None,
    **data: Any,
) -> None:
    """Append one entry to the ticket's history."""
    row = event_row(kind, at, ticket.site, actor, counter, **data)
    s.execute(_INSERT_EVENT, {"ticket_id": ticket.id, **row})


def event_row(
    kind: str, at: datetime, site: str, actor: Actor, counter: int | None = None, **data: Any
) -> dict[str, Any]:
    """A history entry's columns, but the ticket's id."""
    if actor.address:
        data["address"] = actor.address
    return {
        "kind": kind,
        "at": at,
        "site": site,
        "counter": counter,
        "user_id": actor.user_id,
        "device_id": actor.device_id,
        "data": data or None,
    }


def audit(s: Session, action: str, at: datetime, actor: Actor, **fields: Any) -> None:
    """Append one row to the audit log (priority decisions, out-of-order calls, admin acts)."""
    row = audit_row(action, at, actor, **fields)
    s.add(AuditEntry(**row))  # flushed in order with the session's other new rows


def audit_row(action: str, at: datetime, actor: Actor, **fields: Any) -> dict[str, Any]:
    """An audit entry's columns: ``site``, ``ticket_id`` and ``counter`` among ``fields`` go
    to their columns, the rest to its details."""
    columns: dict[str, Any] = {"site": None, "counter": None}
    columns.update({k: fields.pop(k) for k in ("site", "ticket_id", "counter") if k in fields})
    return {
        "at": at,
        "action": action,
        "user_id": actor.user_id,
        "device_id": actor.device_id,
        "address": actor.address,
        "details": fields or None,
        **columns,
    }


def new_tracking_code() -> str:
    """16 characters of ``[A-Za-z0-9_-]``: 96 random bits."""
    return secrets.token_urlsafe(12)


_CODE = re.compile(r"[A-Za-z0-9_-]{11,32}")


def is_tracking_code(text: object) -> bool:
    """Whether ``text`` can be a tracking code at all (checked before any query with it)."""
    return isinstance(text, str) and _CODE.fullmatch(text) is not None


def issue_ticket(
    s: Session,
    cfg: Config,
    clock: Clock,
    actor: Actor,
    *,
    site: str,
    service: str,
    priority: str | None = None,
    procedure: str | None = None,
    printer: str | None = None,
    print_params: dict[str, Any] | None = None,
    key: dict[str, Any] | None = None,
) -> tuple[Ticket, list[TicketIssued]]:
    """Issue the next number of ``service`` at ``site``. The ticket comes back with
    ``ahead``: how many wait before it. ``key`` (see :func:`idempotency.key_row`) is written
    with the ticket. Everything is written by one statement (:func:`numbering.add_ticket`).

    Raises NotFound (site/service/priority group), ServiceClosed, DailyCapReached,
    Forbidden (a user bound to another site; priority not allowed from this kiosk).
    """
    if actor.is_staff:
        # Kiosks may issue for another site where the guide allows remote tickets (their
        # callers check); people act only at their own site.
        check_site(actor, site)
    site_cfg = _site(cfg, site)
    svc = site_cfg.service(service)
    if svc is None:
        raise NotFound(f"Không có dịch vụ {service!r} tại {site}.", what="service")
    if not svc.enabled:
        raise ServiceClosed(
            f"Dịch vụ {svc.name} tạm ngừng tiếp nhận.",
            None,
            en=f"The service {svc.name_en or svc.name} is not taking tickets.",
        )
    now = clock.now()
    now_local = local(clock, now)
    holidays = cfg.settings.holidays
    week = site_cfg.hours_of(svc)
    if not hours.is_open(week, now_local, holidays):
        reopens = hours.next_opening(week, now_local, holidays)
        raise ServiceClosed(f"Dịch vụ {svc.name} hiện đã hết giờ tiếp nhận.", reopens)

    effective_priority, requested = _priority(cfg, actor, priority)

    values = dict(
        code=new_tracking_code(),
        site=site,
        service=service,
        origin_service=service,
        business_day=business_day(clock, now),
        priority=effective_priority,
        priority_requested=requested,
        procedure=procedure,
        status="waiting",
        issued_at=now,
        order_at=now,
        recalls=0,
        kiosk_device_id=actor.device_id,
        issued_by_user_id=actor.user_id,
        print_status="queued" if printer else "none",
    )
    job = None
    if printer:
        job = dict(
            printer=printer,
            kind="ticket",
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            params=print_params or {},
        )
    event = event_row("issued", now, site, actor, priority=effective_priority, procedure=procedure)
    decision = None
    if effective_priority or requested:
        decision = audit_row(
            "priority_issued" if effective_priority else "priority_requested",
            now,
            actor,
            site=site,
            group=effective_priority or requested,
            policy=cfg.policy_for(site_cfg).mode,
        )
    added = numbering.add_ticket(
        s,
        values,
        prefix=svc.prefix,
        cap=svc.daily_cap,
        event=event,
        job=job,
        audit=decision,
        key=key,
    )
    if added is None:  # nothing was written
        raise DailyCapReached(
            f"Dịch vụ {svc.name} đã hết số trong ngày hôm nay.",
            hours.next_opening(week, now_local, holidays, skip_today=True),
        )
    ticket = Ticket(
        id=added.id, seq=added.seq, number=numbering.format_number(svc.prefix, added.seq), **values
    )
    # Everyone waiting is older, so ahead of a new ticket: all of them, or only the
    # priority ones for a priority ticket.
    ticket.ahead = added.priority_waiting if effective_priority is not None else added.waiting  # type: ignore[attr-defined]
    return ticket, [TicketIssued(ticket.id, site, service, ticket.number, printer)]


def expire_stale(s: Session, clock: Clock) -> int:
    """Close tickets of past business days still waiting or held: a queue lives one day.
    Returns how many were closed; each gets an ``expired`` history entry."""
    today = business_day(clock)
    now = clock.now()
    stale = s.execute(
        select(Ticket.id, Ticket.site).where(
            Ticket.business_day < today, Ticket.status.in_((*WAITING, "held"))
        )
    ).all()
    if not stale:
        return 0
    ids = [row.id for row in stale]
    s.execute(
        update(Ticket)
        .where(Ticket.id.in_(ids), Ticket.status.in_((*WAITING, "held")))
        .values(status="cancelled", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    s.connection().execute(
        _INSERT_EVENT,
        [
            {
                "ticket_id": i,
                "kind": "expired",
                "at": now,
                "site": site,
                "counter": None,
                "user_id": None,
                "device_id": None,
                "data": None,
            }
            for i, site in stale
        ],
    )
    return len(ids)


def _site(cfg: Config, code: str) -> Site:
    site = cfg.site(code)
    if site is None:
        raise NotFound(f"Không có điểm tiếp nhận {code!r}.", what="site")
    return site


def _priority(cfg: Config, actor: Actor, group: str | None) -> tuple[str | None, str | None]:
    """(effective group, group awaiting staff confirmation)."""
    if group is None:
        return None, None
    policy = cfg.settings.priority
    if policy.group(group) is None:
        raise InvalidInput(f"Nhóm ưu tiên {group!r} không tồn tại.", field="priority")
    if actor.is_staff or policy.kiosk == "self":
        return group, None
    if policy.kiosk == "confirm":
        return None, group
    raise Forbidden("Số ưu tiên do cán bộ tiếp nhận cấp.")


# ---------------------------------------------------------------------------------------------
# The state machine. Each action: allowed source statuses → target status.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "recall": (frozenset({"called"}), "called"),
    "start": (frozenset({"called"}), "serving"),
    "done": (frozenset({"called", "serving"}), "done"),
    "no-show": (frozenset({"called"}), "no_show"),
    "requeue": (frozenset({"called", "held", "no_show"}), "waiting"),
    "hold": (frozenset({"called", "serving"}), "held"),
    "resume": (frozenset({"held"}), "called"),
    "transfer": (frozenset({"waiting", "transferred", "called", "serving", "held"}), "transferred"),
    "cancel": (frozenset({"waiting", "transferred", "held"}), "cancelled"),
    # A no-show marked by mistake, taken back soon after (calling.undo_no_show).
    "undo-no-show": (frozenset({"no_show"}), "called"),
}

STATUS_VI = {
    "waiting": "đang chờ",
    "called": "đã được gọi",
    "serving": "đang được phục vụ",
    "done": "đã xong",
    "no_show": "vắng mặt",
    "held": "tạm giữ",
    "transferred": "đã chuyển",
    "cancelled": "đã hủy",
}


def get_ticket(s: Session, ticket_id: int) -> Ticket:
    ticket = s.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"Không có phiếu số {ticket_id}.", what="ticket")
    return ticket


def check_site(actor: Actor, site: str) -> None:
    if actor.site is not None and actor.site != site:
        raise Forbidden("Tài khoản này không thuộc điểm tiếp nhận đó.")


def transition(
    s: Session,
    ticket: Ticket,
    action: str,
    now: datetime,
    *,
    extra: dict[str, Any] | None = None,
) -> None:
    """Move ``ticket`` by ``action`` with a conditional UPDATE; raise InvalidTransition if the
    status does not allow it (also when another request changed it a moment ago)."""
    sources, target = TRANSITIONS[action]
    if move(s, ticket.id, sources, {"status": target, **(extra or {})}) is None:
        s.refresh(ticket)
        raise InvalidTransition(
            f"Không thể '{action}' phiếu {ticket.number}: phiếu đang ở trạng thái "
            f"'{STATUS_VI.get(ticket.status, ticket.status)}'.",
            status=ticket.status,
            action=action,
        )


# An UPDATE … RETURNING that refreshes the session's copy of the rows it returns.
REFRESHING = {"populate_existing": True, "synchronize_session": False}


def move(
    s: Session, ticket_id: int, sources: Iterable[str], values: dict[str, Any]
) -> Ticket | None:
    """The conditional UPDATE of one ticket that only a ticket in one of ``sources`` passes;
    returns the ticket as the UPDATE left it (the session's object, refreshed by the same
    statement), or None when it was in another status (or does not exist)."""
    stmt = (
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status.in_(tuple(sources)))
        .values(**values)
        .returning(Ticket)
    )
    return s.scalars(stmt, execution_options=REFRESHING).one_or_none()


def changed(ticket: Ticket, action: str) -> TicketChanged:
    return TicketChanged(ticket.id, ticket.site, action, ticket.status, ticket.counter)
