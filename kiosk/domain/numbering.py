"""Daily ticket numbers: one counter row per (site, service, business day).

A new ticket and its number are written together, in the issuing transaction: the counter row
is bumped by an ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` and the ticket takes the number
it returns, so the number and the ticket commit (or roll back) together: gap-free and never
duplicated, whichever database and however many processes. ``max(seq)+1`` is not safe.

The counter row is the one hot row of a busy service: every ticket of the service locks it
until its transaction commits. On PostgreSQL the lock is therefore taken by the transaction's
last statement, which writes the number, the ticket, its history entry and its print job at
once: the row is held for one statement and the commit, not for a chain of round trips. On
SQLite the whole database has one writer anyway, and the statements run one after the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    case,
    cast,
    func,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from kiosk.domain.upsert import by_dialect
from kiosk.models import PrintJob, Ticket, TicketEvent, TicketNumber

_NUMBERS, _TICKETS, _EVENTS, _JOBS = (
    Ticket.metadata.tables[model.__tablename__]
    for model in (TicketNumber, Ticket, TicketEvent, PrintJob)
)


def format_number(prefix: str, seq: int) -> str:
    """``A`` + 12 → ``A012``; past 999 the number grows a digit (``A1000``)."""
    return f"{prefix}{seq:03d}"


@dataclass(frozen=True)
class Numbered:
    """What writing a new ticket returned: its id and sequence number, and how many tickets
    of its queue waited just before it (all of them, and the priority ones)."""

    id: int
    seq: int
    waiting: int
    priority_waiting: int


def add_ticket(
    s: Session,
    ticket: Mapping[str, Any],
    *,
    prefix: str,
    cap: int | None,
    event: Mapping[str, Any],
    job: Mapping[str, Any] | None,
) -> Numbered | None:
    """Write a new ticket (``ticket``: its columns but ``seq`` and ``number``) with the next
    number of its service and day, its history entry ``event`` and, if given, its print
    ``job`` (both without ``ticket_id``). Returns None, having written nothing that the
    caller's rollback would not undo, when the number would pass ``cap``: the caller must then
    raise."""
    params = {
        **{f"t_{k}": v for k, v in ticket.items()},
        **{f"e_{k}": v for k, v in event.items()},
        **({f"j_{k}": v for k, v in job.items()} if job else {}),
        "prefix": prefix,
        "cap": cap,
    }
    if s.get_bind().dialect.name == "postgresql":
        row = s.execute(_PG_STATEMENTS[job is not None], params).one()
        if row.id is None:
            return None
        return Numbered(int(row.id), int(row.seq), int(row.waiting), int(row.priority_waiting))
    seq, waiting, priority_waiting = s.execute(
        _SQLITE_BUMP,
        {"site": ticket["site"], "service": ticket["service"], "day": ticket["business_day"]},
    ).one()
    if cap is not None and seq > cap:
        return None
    values = {**ticket, "seq": seq, "number": format_number(prefix, seq)}
    ticket_id = s.execute(insert(_TICKETS).returning(_TICKETS.c.id), values).scalar_one()
    s.execute(insert(_EVENTS), {**event, "ticket_id": ticket_id})
    if job:
        s.execute(insert(_JOBS), {**job, "ticket_id": ticket_id})
    return Numbered(int(ticket_id), int(seq), int(waiting), int(priority_waiting))


def _bump(insert_of: Any) -> Any:
    stmt = insert_of(_NUMBERS).values(
        site=bindparam("site"),
        service=bindparam("service"),
        business_day=bindparam("day"),
        last_seq=1,
    )
    return stmt.on_conflict_do_update(
        index_elements=[_NUMBERS.c.site, _NUMBERS.c.service, _NUMBERS.c.business_day],
        set_={"last_seq": _NUMBERS.c.last_seq + 1},
    ).returning(_NUMBERS.c.last_seq, _NUMBERS.c.waiting, _NUMBERS.c.priority_waiting)


_SQLITE_BUMP = by_dialect(_bump)["sqlite"]

_TICKET_COLUMNS = (
    "code",
    "site",
    "service",
    "origin_service",
    "business_day",
    "priority",
    "priority_requested",
    "procedure",
    "status",
    "issued_at",
    "order_at",
    "recalls",
    "kiosk_device_id",
    "issued_by_user_id",
    "print_status",
)
_EVENT_COLUMNS = ("kind", "at", "site", "counter", "user_id", "device_id", "data")
_JOB_COLUMNS = (
    "printer",
    "kind",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "params",
)


def _param(table: Any, column: str, tag: str) -> Any:
    return bindparam(f"{tag}_{column}", type_=table.c[column].type)


def _build_pg_statement(with_job: bool) -> Any:
    """``WITH n AS (bump the counter row), t AS (insert the ticket numbered from n, unless
    past the cap), e AS (its history entry), j AS (its print job) SELECT …``: one statement.
    (The queue-count trigger on ``tickets`` updates the same counter row afterwards, in the
    same statement: PostgreSQL fires AFTER triggers once the statement's rows are written.)"""
    bump = (
        postgresql.insert(_NUMBERS)
        .values(
            site=_param(_TICKETS, "site", "t"),
            service=_param(_TICKETS, "service", "t"),
            business_day=_param(_TICKETS, "business_day", "t"),
            last_seq=1,
        )
        .on_conflict_do_update(
            index_elements=[_NUMBERS.c.site, _NUMBERS.c.service, _NUMBERS.c.business_day],
            set_={"last_seq": _NUMBERS.c.last_seq + 1},
        )
        .returning(_NUMBERS.c.last_seq, _NUMBERS.c.waiting, _NUMBERS.c.priority_waiting)
        .cte("n")
    )
    seq = bump.c.last_seq
    digits = cast(seq, String)
    number = bindparam("prefix", type_=String) + case(
        (seq < 1000, func.lpad(digits, 3, "0")), else_=digits
    )
    cap = bindparam("cap", type_=Integer)
    ticket = (
        insert(_TICKETS)
        .from_select(
            [*_TICKET_COLUMNS, "seq", "number"],
            select(*(_param(_TICKETS, c, "t") for c in _TICKET_COLUMNS), seq, number).where(
                or_(cap.is_(None), seq <= cap)
            ),
        )
        .returning(_TICKETS.c.id)
        .cte("t")
    )
    event = (
        insert(_EVENTS)
        .from_select(
            ["ticket_id", *_EVENT_COLUMNS],
            select(ticket.c.id, *(_param(_EVENTS, c, "e") for c in _EVENT_COLUMNS)),
        )
        .cte("e")
    )
    parts = [event]
    if with_job:
        parts.append(
            insert(_JOBS)
            .from_select(
                ["ticket_id", *_JOB_COLUMNS],
                select(ticket.c.id, *(_param(_JOBS, c, "j") for c in _JOB_COLUMNS)),
            )
            .cte("j")
        )
    # Data-modifying CTEs run whether or not the final SELECT reads them.
    stmt = select(
        ticket.c.id,
        seq.label("seq"),
        bump.c.waiting,
        bump.c.priority_waiting,
    ).select_from(bump.outerjoin(ticket, true()))
    for part in parts:
        stmt = stmt.add_cte(part)
    return stmt


_PG_STATEMENTS = {with_job: _build_pg_statement(with_job) for with_job in (False, True)}


def waiting_now(session: Session, site: str, service: str, day: date) -> int:
    """Tickets of ``day`` waiting for ``service`` (priority ones included), from the counts
    the database's triggers keep."""
    row = session.get(TicketNumber, (site, service, day))
    return row.waiting if row else 0


def issued_today(session: Session, site: str, service: str, day: date) -> int:
    row = session.get(TicketNumber, (site, service, day))
    return row.last_seq if row else 0


__all__ = [
    "Numbered",
    "add_ticket",
    "format_number",
    "issued_today",
    "waiting_now",
]
