"""One audit log to read: the audit table (sign-ins, pauses, priority decisions, out-of-order
calls, service changes, disabled users) merged with every ticket's history (each call, action and
rating by a person or a device). Newest first, filtered, paged by time."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.clock import Clock, local
from kiosk.models import AuditEntry, Device, Ticket, TicketEvent, User

PAGE = 200


@dataclass(frozen=True)
class Filters:
    site: str | None = None
    action: str | None = None
    user: str | None = None  # username
    ticket: str | None = None  # ticket number, e.g. A012
    day: date | None = None  # local day
    source: str | None = None  # "audit" | "ticket"
    before: datetime | None = None  # paging: strictly older than this instant
    since: datetime | None = None  # this instant or newer


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    source: str  # "audit" (audit table) | "ticket" (ticket history)
    action: str
    site: str | None
    counter: int | None
    ticket_id: int | None
    ticket_number: str | None
    user: str | None
    device: str | None
    address: str | None
    details: dict[str, Any] = field(default_factory=dict)


def read_log(s: Session, clock: Clock, f: Filters, limit: int = PAGE) -> list[AuditRow]:
    """Up to ``limit`` rows matching ``f``, newest first."""
    rows: list[AuditRow] = []
    if f.source in (None, "audit"):
        rows += _from_audit(s, clock, f, limit)
    if f.source in (None, "ticket"):
        rows += _from_history(s, clock, f, limit)
    rows.sort(key=lambda r: r.at, reverse=True)
    return rows[:limit]


def known_actions(s: Session) -> list[str]:
    a = s.scalars(select(AuditEntry.action).distinct()).all()
    b = s.scalars(select(TicketEvent.kind).distinct()).all()
    return sorted(set(a) | set(b))


def _window(clock: Clock, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=clock.tz)
    return start, start + timedelta(days=1)


def _filter(stmt: Any, clock: Clock, f: Filters, at: Any, action: Any, site: Any) -> Any:
    if f.site:
        stmt = stmt.where(site == f.site)
    if f.action:
        stmt = stmt.where(action == f.action)
    if f.user:
        stmt = stmt.where(User.username == f.user)
    if f.ticket:
        stmt = stmt.where(Ticket.number == f.ticket.strip().upper())
    if f.day:
        start, end = _window(clock, f.day)
        stmt = stmt.where(at >= start, at < end)
    if f.before:
        stmt = stmt.where(at < f.before)
    if f.since:
        stmt = stmt.where(at >= f.since)
    return stmt


def _from_audit(s: Session, clock: Clock, f: Filters, limit: int) -> list[AuditRow]:
    stmt = (
        select(AuditEntry, User.username, Device.name, Ticket.number)
        .outerjoin(User, AuditEntry.user_id == User.id)
        .outerjoin(Device, AuditEntry.device_id == Device.id)
        .outerjoin(Ticket, AuditEntry.ticket_id == Ticket.id)
    )
    stmt = _filter(stmt, clock, f, AuditEntry.at, AuditEntry.action, AuditEntry.site)
    out = []
    for entry, username, device, number in s.execute(
        stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    ):
        out.append(
            AuditRow(
                at=entry.at,
                source="audit",
                action=entry.action,
                site=entry.site,
                counter=entry.counter,
                ticket_id=entry.ticket_id,
                ticket_number=number,
                user=username,
                device=device,
                address=entry.address,
                details=dict(entry.details or {}),
            )
        )
    return out


def _from_history(s: Session, clock: Clock, f: Filters, limit: int) -> list[AuditRow]:
    stmt = (
        select(TicketEvent, User.username, Device.name, Ticket.number)
        .join(Ticket, TicketEvent.ticket_id == Ticket.id)
        .outerjoin(User, TicketEvent.user_id == User.id)
        .outerjoin(Device, TicketEvent.device_id == Device.id)
    )
    stmt = _filter(stmt, clock, f, TicketEvent.at, TicketEvent.kind, TicketEvent.site)
    out = []
    for ev, username, device, number in s.execute(
        stmt.order_by(TicketEvent.at.desc(), TicketEvent.id.desc()).limit(limit)
    ):
        details = dict(ev.data or {})
        address = details.pop("address", None)
        out.append(
            AuditRow(
                at=ev.at,
                source="ticket",
                action=ev.kind,
                site=ev.site,
                counter=ev.counter,
                ticket_id=ev.ticket_id,
                ticket_number=number,
                user=username,
                device=device,
                address=address,
                details=details,
            )
        )
    return out


def to_csv(rows: list[AuditRow], clock: Clock) -> str:
    """The rows as CSV text (local ISO times; details as JSON)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        (
            "at",
            "source",
            "action",
            "site",
            "counter",
            "ticket",
            "user",
            "device",
            "address",
            "details",
        )
    )
    for r in rows:
        writer.writerow(
            (
                local(clock, r.at).isoformat(timespec="seconds"),
                r.source,
                r.action,
                r.site or "",
                r.counter or "",
                r.ticket_number or "",
                r.user or "",
                r.device or "",
                r.address or "",
                json.dumps(r.details, ensure_ascii=False, sort_keys=True) if r.details else "",
            )
        )
    return out.getvalue()
