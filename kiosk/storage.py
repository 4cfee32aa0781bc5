"""Statements that depend on the database in use, behind named functions.

The domain speaks SQLAlchemy's portable query language over the session it is given. What
differs between SQLite and PostgreSQL — ``INSERT … ON CONFLICT`` (one construct per dialect
in SQLAlchemy), table locks, and the hot path that writes a new ticket — lives here, so that
no domain module needs to know which database it runs on.

Writing a new ticket is the busiest write of the product: on SQLite its four statements go
straight to the driver connection (SQLAlchemy's ORM execution costs about 0.45 ms of CPU a
ticket on them, more than the statements themselves; measured by ``bench/bench_queue.py``);
the values are converted by the columns' own SQLAlchemy types, so the rows are exactly those
the ORM would write. On PostgreSQL the counter row is bumped and the ticket, its history entry,
its print job, its audit entry and its idempotency key are written by one statement (see
:func:`add_ticket`), which the issuing request runs as a transaction of its own, on the driver
connection too (:data:`ALONE`).
"""

from __future__ import annotations

import functools
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
    AuditEntry,
    CounterState,
    DisplayEvent,
    DisplayPresence,
    DisplaySeq,
    IdempotencyKey,
    PrintJob,
    Ticket,
    TicketEvent,
    TicketNumber,
)

_NUMBERS, _TICKETS, _EVENTS, _JOBS, _DISPLAY_EVENTS, _AUDIT, _KEYS = (
    Ticket.metadata.tables[model.__tablename__]
    for model in (
        TicketNumber,
        Ticket,
        TicketEvent,
        PrintJob,
        DisplayEvent,
        AuditEntry,
        IdempotencyKey,
    )
)
# Session.info key of a single-statement block on PostgreSQL (``kiosk.db``): a function that
# runs its one write as a transaction of its own, on the driver's connection.
ALONE = "motcua_alone"
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
_AUDIT_COLUMNS = ("at", "action", "site", "counter", "user_id", "device_id", "address", "details")
_KEY_COLUMNS = ("token_id", "key", "request_hash", "created_at")


def add_ticket(
    s: Session,
    ticket: Mapping[str, Any],
    *,
    prefix: str,
    cap: int | None,
    event: Mapping[str, Any],
    job: Mapping[str, Any] | None = None,
    audit: Mapping[str, Any] | None = None,
    key: Mapping[str, Any] | None = None,
) -> Numbered | None:
    """Write a new ticket (``ticket``: its columns but ``seq`` and ``number``) with the next
    number of its service and day, its history entry ``event`` and, if given, its print
    ``job``, its ``audit`` entry and the idempotency ``key`` that asked for it (all without
    the ticket's id).

    The counter row is bumped by an ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` and the
    ticket takes the number it returns, in the same transaction: gap-free and never
    duplicated, whichever database and however many processes (``max(seq)+1`` is not safe).
    On PostgreSQL everything is one statement, so it may run as a transaction of its own
    (see :meth:`kiosk.db.Database.transaction`). Returns None, having written nothing, when
    the number would pass ``cap``: the caller must then raise. A key already used fails with
    IntegrityError, also having written nothing."""
    if cap is not None and cap < 1:
        return None
    parts = {"j": job, "a": audit, "k": key}
    if dialect(s) == "postgresql":
        params = {
            **{f"t_{k}": v for k, v in ticket.items()},
            **{f"e_{k}": v for k, v in event.items()},
            **{f"{tag}_{k}": v for tag, part in parts.items() if part for k, v in part.items()},
            "prefix": prefix,
            "cap": cap,
        }
        stmt = _pg_add_ticket(tuple(part is not None for part in parts.values()))
        alone = s.info.get(ALONE)  # a single-statement block: the statement commits as it runs
        row = alone(stmt, params) if alone is not None else s.execute(stmt, params).one_or_none()
        if row is None:  # the counter was not bumped: past the cap
            return None
        ticket_id, seq, waiting, priority_waiting = row
        return Numbered(int(ticket_id), int(seq), int(waiting), int(priority_waiting))

    # The session's own connection, inside its transaction (public API: Connection.connection
    # is the pool's proxy, .driver_connection the sqlite3 connection).
    driver = s.connection().connection.driver_connection
    assert driver is not None
    try:
        return _SQLITE_ADD_TICKET(driver, ticket, prefix, cap, event, parts)
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
            "DO UPDATE SET last_seq = last_seq + 1 WHERE ? IS NULL OR last_seq < ? "
            "RETURNING last_seq, waiting, priority_waiting"
        )
        self.day = _SqliteInsert(_NUMBERS, ("business_day",))
        self.ticket = _SqliteInsert(_TICKETS, (*_TICKET_COLUMNS, "seq", "number"), " RETURNING id")
        self.event = _SqliteInsert(_EVENTS, ("ticket_id", *_EVENT_COLUMNS))
        self.parts = {
            "j": _SqliteInsert(_JOBS, ("ticket_id", *_JOB_COLUMNS)),
            "a": _SqliteInsert(_AUDIT, ("ticket_id", *_AUDIT_COLUMNS)),
            "k": _SqliteInsert(_KEYS, ("ticket_id", *_KEY_COLUMNS)),
        }

    def __call__(
        self,
        driver: sqlite3.Connection,
        ticket: Mapping[str, Any],
        prefix: str,
        cap: int | None,
        event: Mapping[str, Any],
        parts: Mapping[str, Mapping[str, Any] | None],
    ) -> Numbered | None:
        day = self.day.values(ticket)
        bumped = driver.execute(
            self.bump, (ticket["site"], ticket["service"], *day, cap, cap)
        ).fetchone()
        if bumped is None:  # the day's numbers are used up (a first ticket always passes)
            return None
        seq, waiting, priority_waiting = bumped
        numbered = {**ticket, "seq": seq, "number": format_number(prefix, seq)}
        (ticket_id,) = driver.execute(self.ticket.sql, self.ticket.values(numbered)).fetchone()
        driver.execute(self.event.sql, self.event.values({**event, "ticket_id": ticket_id}))
        for tag, part in parts.items():
            if part is not None:
                insert_part = self.parts[tag]
                driver.execute(
                    insert_part.sql, insert_part.values({**part, "ticket_id": ticket_id})
                )
        return Numbered(int(ticket_id), int(seq), int(waiting), int(priority_waiting))


_SQLITE_ADD_TICKET = _SqliteAddTicket()


def _param(table: Any, column: str, tag: str) -> Any:
    return bindparam(f"{tag}_{column}", type_=table.c[column].type)


@functools.cache
def _pg_add_ticket(shape: tuple[bool, bool, bool]) -> Any:
    """``WITH n AS (bump the counter row unless the day's numbers are used up), t AS (insert
    the ticket numbered from n), e AS (its history entry), then its print job, audit entry
    and idempotency key, as ``shape`` says (each present or not) SELECT …``: one statement,
    so the counter row — the one hot row of a busy service — is held for one statement and
    the commit, and the whole write can commit as it runs. (The queue-count trigger updates
    the same counter row at the commit.) Built once per shape: building costs more than
    running."""
    cap = bindparam("cap", type_=Integer)
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
            where=or_(cap.is_(None), _NUMBERS.c.last_seq < cap),
        )
        .returning(_NUMBERS.c.last_seq, _NUMBERS.c.waiting, _NUMBERS.c.priority_waiting)
        .cte("n")
    )
    seq = bump.c.last_seq
    digits = cast(seq, String)
    number = bindparam("prefix", type_=String) + case(
        (seq < 1000, func.lpad(digits, 3, "0")), else_=digits
    )
    ticket = (
        insert(_TICKETS)
        .from_select(
            [*_TICKET_COLUMNS, "seq", "number"],
            select(*(_param(_TICKETS, c, "t") for c in _TICKET_COLUMNS), seq, number),
        )
        .returning(_TICKETS.c.id)
        .cte("t")
    )

    def of_ticket(table: Table, columns: tuple[str, ...], tag: str) -> Any:
        return (
            insert(table)
            .from_select(
                ["ticket_id", *columns],
                select(ticket.c.id, *(_param(table, c, tag) for c in columns)),
            )
            .cte(tag + "_row")
        )

    parts = [of_ticket(_EVENTS, _EVENT_COLUMNS, "e")]
    optional = (
        (_JOBS, _JOB_COLUMNS, "j"),
        (_AUDIT, _AUDIT_COLUMNS, "a"),
        (_KEYS, _KEY_COLUMNS, "k"),
    )
    for present, (table, columns, tag) in zip(shape, optional, strict=True):
        if present:
            parts.append(of_ticket(table, columns, tag))
    # Data-modifying CTEs run whether or not the final SELECT reads them.
    stmt = select(
        ticket.c.id,
        seq.label("seq"),
        bump.c.waiting,
        bump.c.priority_waiting,
    ).select_from(bump.join(ticket, true()))
    for part in parts:
        stmt = stmt.add_cte(part)
    return stmt


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
