"""Statements that depend on the database in use, behind named functions.

The domain speaks SQLAlchemy's portable query language over the session it is given. What
differs between SQLite and PostgreSQL — ``INSERT … ON CONFLICT`` (one construct per dialect
in SQLAlchemy), table locks, and the hot path that writes a new ticket — lives here, so that
no domain module needs to know which database it runs on.

Writing a new ticket is the busiest write of the product: on SQLite its four statements go
straight to the driver connection (SQLAlchemy's ORM execution costs about 0.45 ms of CPU a
ticket on them, more than the statements themselves; measured by ``bench/bench_queue.py``);
the values are converted by the columns' own SQLAlchemy types, so the rows are exactly those
the ORM would write. On PostgreSQL the counter row is bumped and the ticket, its history entry
and its print job are written by one statement (see :func:`add_ticket`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Table,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kiosk.models import (
    CounterState,
    DisplayEvent,
    DisplayPresence,
    DisplaySeq,
    PrintJob,
    Ticket,
    TicketEvent,
    TicketNumber,
)

_NUMBERS, _TICKETS, _EVENTS, _JOBS, _DISPLAY_EVENTS = (
    Ticket.metadata.tables[model.__tablename__]
    for model in (TicketNumber, Ticket, TicketEvent, PrintJob, DisplayEvent)
)
_INSERTS: dict[str, Callable[[Any], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def dialect(s: Session) -> str:
    """``"sqlite"`` or ``"postgresql"``: the database the session is bound to."""
    return s.get_bind().dialect.name


def format_number(prefix: str, seq: int) -> str:
    """``A`` + 12 → ``A012``; past 999 the number grows a digit (``A1000``)."""
    return f"{prefix}{seq:03d}"


# --- a new ticket and its number -----------------------------------------------------------


@dataclass(frozen=True)
class Numbered:
    """What writing a new ticket returned: its id and sequence number, and how many tickets
    of its queue waited just before it (all of them, and the priority ones)."""

    id: int
    seq: int
    waiting: int
    priority_waiting: int


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
    ``job`` (both without ``ticket_id``).

    The counter row is bumped by an ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` and the
    ticket takes the number it returns, in the same transaction: gap-free and never
    duplicated, whichever database and however many processes (``max(seq)+1`` is not safe).
    Returns None, having written nothing that the caller's rollback would not undo, when the
    number would pass ``cap``: the caller must then raise."""
    if dialect(s) == "postgresql":
        params = {
            **{f"t_{k}": v for k, v in ticket.items()},
            **{f"e_{k}": v for k, v in event.items()},
            **({f"j_{k}": v for k, v in job.items()} if job else {}),
            "prefix": prefix,
            "cap": cap,
        }
        row = s.execute(_PG_ADD_TICKET[job is not None], params).one()
        if row.id is None:
            return None
        return Numbered(int(row.id), int(row.seq), int(row.waiting), int(row.priority_waiting))

    # The session's own connection, inside its transaction (public API: Connection.connection
    # is the pool's proxy, .driver_connection the sqlite3 connection).
    driver = s.connection().connection.driver_connection
    assert driver is not None
    try:
        return _SQLITE_ADD_TICKET(driver, ticket, prefix, cap, event, job)
    except sqlite3.Error as exc:
        # As SQLAlchemy would raise it (IntegrityError, OperationalError…), so that the
        # callers' retries and the error layer (disk full → 503) see one kind of error; like
        # the engine, without the parameters.
        raise DBAPIError.instance(None, None, exc, sqlite3.Error, hide_parameters=True) from exc


class _SqliteInsert:
    """One ``INSERT`` on the driver connection, its values converted by the columns' types."""

    def __init__(self, table: Table, columns: Iterable[str], returning: str = "") -> None:
        self.columns = tuple(columns)
        names = ", ".join(self.columns)
        marks = ", ".join("?" * len(self.columns))
        self.sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks}){returning}"
        dialect = sqlite.dialect()
        # The dialect's form of each type (a TypeDecorator's own bind_processor would skip
        # SQLite's date and time formatting, and the sqlite3 module's would differ from it).
        self.convert = tuple(
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in self.columns
        )

    def values(self, row: Mapping[str, Any]) -> list[Any]:
        return [
            row[c] if convert is None else convert(row[c])
            for c, convert in zip(self.columns, self.convert, strict=True)
        ]


class _SqliteAddTicket:
    """The SQLite form of :func:`add_ticket`: SQLite has one writer, so the statements simply
    run one after the other inside the caller's ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self) -> None:
        self.bump = (
            f"INSERT INTO {_NUMBERS.name} (site, service, business_day, last_seq) "
            "VALUES (?, ?, ?, 1) ON CONFLICT (site, service, business_day) "
            "DO UPDATE SET last_seq = last_seq + 1 "
            "RETURNING last_seq, waiting, priority_waiting"
        )
        self.day = _SqliteInsert(_NUMBERS, ("business_day",))
        self.ticket = _SqliteInsert(_TICKETS, (*_TICKET_COLUMNS, "seq", "number"), " RETURNING id")
        self.event = _SqliteInsert(_EVENTS, ("ticket_id", *_EVENT_COLUMNS))
        self.job = _SqliteInsert(_JOBS, ("ticket_id", *_JOB_COLUMNS))

    def __call__(
        self,
        driver: sqlite3.Connection,
        ticket: Mapping[str, Any],
        prefix: str,
        cap: int | None,
        event: Mapping[str, Any],
        job: Mapping[str, Any] | None,
    ) -> Numbered | None:
        day = self.day.values(ticket)
        seq, waiting, priority_waiting = driver.execute(
            self.bump, (ticket["site"], ticket["service"], *day)
        ).fetchone()
        if cap is not None and seq > cap:
            return None
        numbered = {**ticket, "seq": seq, "number": format_number(prefix, seq)}
        (ticket_id,) = driver.execute(self.ticket.sql, self.ticket.values(numbered)).fetchone()
        driver.execute(self.event.sql, self.event.values({**event, "ticket_id": ticket_id}))
        if job:
            driver.execute(self.job.sql, self.job.values({**job, "ticket_id": ticket_id}))
        return Numbered(int(ticket_id), int(seq), int(waiting), int(priority_waiting))


_SQLITE_ADD_TICKET = _SqliteAddTicket()


def _param(table: Any, column: str, tag: str) -> Any:
    return bindparam(f"{tag}_{column}", type_=table.c[column].type)


def _pg_add_ticket(with_job: bool) -> Any:
    """``WITH n AS (bump the counter row), t AS (insert the ticket numbered from n, unless
    past the cap), e AS (its history entry), j AS (its print job) SELECT …``: one statement,
    so the counter row — the one hot row of a busy service, locked until commit — is held for
    one statement and the commit, not for a chain of round trips. (The queue-count trigger on
    ``tickets`` updates the same counter row afterwards, in the same statement: PostgreSQL
    fires AFTER triggers once the statement's rows are written.)"""
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


_PG_ADD_TICKET = {with_job: _pg_add_ticket(with_job) for with_job in (False, True)}


# --- upserts and locks ---------------------------------------------------------------------


def _by_dialect(build: Callable[[Callable[[Any], Any]], Any]) -> dict[str, Any]:
    """``build(insert)`` for each database (statements are built once: building one costs
    more than running it)."""
    return {name: build(insert_of) for name, insert_of in _INSERTS.items()}


_ENSURE_COUNTER = _by_dialect(
    lambda insert_of: (
        insert_of(CounterState.__table__)
        .values(
            site=bindparam("site"), number=bindparam("number"), status="closed", normal_streak=0
        )
        .on_conflict_do_nothing()
    )
)


def ensure_counter(s: Session, site: str, number: int) -> None:
    """Create the counter's state row if it does not exist yet (closed)."""
    s.execute(_ENSURE_COUNTER[dialect(s)], {"site": site, "number": number})


def _display_seq(insert_of: Callable[[Any], Any]) -> Any:
    table = DisplaySeq.__table__
    return (
        insert_of(table)
        .values(display_id=bindparam("display_id"), last_event_id=1)
        .on_conflict_do_update(
            index_elements=[table.c.display_id], set_={"last_event_id": table.c.last_event_id + 1}
        )
        .returning(table.c.last_event_id)
    )


_NEXT_DISPLAY_EVENT = _by_dialect(_display_seq)
_DISPLAY_EVENT_COLUMNS = ("at", "ticket_id", "payload")


def _pg_display_event() -> Any:
    """Take the display's next number and write the event with it, in one statement: the
    display's sequence row is locked from this statement to the commit."""
    seq = _NEXT_DISPLAY_EVENT["postgresql"].cte("seq")
    return (
        insert(_DISPLAY_EVENTS)
        .from_select(
            ["display_id", "event_id", *_DISPLAY_EVENT_COLUMNS],
            select(
                _param(_DISPLAY_EVENTS, "display_id", "d"),
                seq.c.last_event_id,
                *(_param(_DISPLAY_EVENTS, c, "d") for c in _DISPLAY_EVENT_COLUMNS),
            ),
        )
        .returning(_DISPLAY_EVENTS.c.event_id)
    )


_PG_DISPLAY_EVENT = _pg_display_event()
_SQLITE_DISPLAY_EVENT = insert(_DISPLAY_EVENTS).values(
    {
        c: _param(_DISPLAY_EVENTS, c, "d")
        for c in ("display_id", "event_id", *_DISPLAY_EVENT_COLUMNS)
    }
)


def add_display_event(
    s: Session, display_id: int, at: datetime, ticket_id: int, payload: dict[str, Any]
) -> int:
    """Write a display's next event (a call to show and announce); returns its number in
    the display's sequence (1, 2, …, gap-free: taken in this transaction)."""
    row = {"d_at": at, "d_ticket_id": ticket_id, "d_payload": payload}
    if dialect(s) == "postgresql":
        params = {**row, "display_id": display_id, "d_display_id": display_id}
        return int(s.execute(_PG_DISPLAY_EVENT, params).scalar_one())
    event_id = int(
        s.execute(_NEXT_DISPLAY_EVENT["sqlite"], {"display_id": display_id}).scalar_one()
    )
    s.execute(_SQLITE_DISPLAY_EVENT, {**row, "d_display_id": display_id, "d_event_id": event_id})
    return event_id


def _presence(insert_of: Callable[[Any], Any]) -> Any:
    stmt = insert_of(DisplayPresence.__table__)
    return stmt.on_conflict_do_update(
        index_elements=["display_id"],
        set_={"seen_at": stmt.excluded.seen_at, "connected": stmt.excluded.connected},
    )


_PRESENCE = _by_dialect(_presence)


def upsert_presence(s: Session, rows: list[dict[str, Any]]) -> None:
    """Write displays' presence rows (``display_id``, ``seen_at``, ``connected``)."""
    if rows:
        s.execute(_PRESENCE[dialect(s)], rows)


def lock_for_changes(s: Session, *tables: str, others_write: bool = False) -> None:
    """Keep other writers of ``tables`` out for the rest of the transaction; plain reads never
    wait. SQLite's ``BEGIN IMMEDIATE`` already holds the one writer lock. On PostgreSQL: by
    default one writer at a time (this transaction writes them); with ``others_write`` the
    transaction only needs the tables to stand still (``SHARE``: it waits for their writers to
    commit and holds new ones until it ends)."""
    if dialect(s) == "postgresql":
        mode = "SHARE" if others_write else "SHARE ROW EXCLUSIVE"
        s.execute(text(f"LOCK TABLE {', '.join(tables)} IN {mode} MODE"))


# --- date arithmetic in SQL ----------------------------------------------------------------


def seconds_between(s: Session, later: Any, earlier: Any) -> Any:
    """SQL for whole seconds from ``earlier`` to ``later`` (both stored as naive UTC)."""
    if dialect(s) == "sqlite":
        diff = (func.julianday(later) - func.julianday(earlier)) * 86400.0
    else:
        diff = func.extract("epoch", later - earlier)
    return cast(func.round(diff), Integer)


def hour_of(s: Session, at: Any, offset_s: int) -> Any:
    """SQL for the hour of day (0-23) of the naive UTC instant ``at`` shifted by ``offset_s``
    seconds (the local time zone's offset)."""
    if dialect(s) == "sqlite":
        return cast(func.strftime("%H", at, f"{offset_s:+d} seconds"), Integer)
    shifted = at + func.make_interval(0, 0, 0, 0, 0, 0, literal(offset_s))
    return cast(func.extract("hour", shifted), Integer)
