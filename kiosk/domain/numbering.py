"""Daily ticket numbers: one counter row per (site, service, business day).

The row is bumped by a single ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` inside the issuing
transaction, so the number and the ticket commit (or roll back) together: gap-free and never
duplicated, whichever database and however many processes. ``max(seq)+1`` is not safe.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy.orm import Session

from kiosk.db import Prepared
from kiosk.domain.upsert import by_dialect, connection_of
from kiosk.models import TicketNumber


def _bump_statement(insert: Any) -> Any:
    table = TicketNumber.__table__
    stmt = insert(table).values(
        site=bindparam("site"),
        service=bindparam("service"),
        business_day=bindparam("day"),
        last_seq=1,
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.site, table.c.service, table.c.business_day],
        set_={"last_seq": table.c.last_seq + 1},
    ).returning(table.c.last_seq, table.c.waiting, table.c.priority_waiting)


# Built once: the upsert runs on every ticket.
_BUMP = by_dialect(lambda insert: Prepared(_bump_statement(insert)))


def next_seq(
    session: Session | Connection, site: str, service: str, day: date
) -> tuple[int, int, int]:
    """Reserve the next sequence number for ``service`` on ``day`` (from 1). Returns it with
    how many tickets of the queue wait now, and how many of those are priority tickets (the
    counts before the new ticket joins)."""
    conn = connection_of(session)
    stmt = _BUMP.get(conn.dialect.name)
    if stmt is None:
        raise RuntimeError(f"numbering does not support the {conn.dialect.name} database")
    seq, waiting, priority_waiting = stmt.run(
        conn, {"site": site, "service": service, "day": day}
    ).fetchone()
    return int(seq), int(waiting), int(priority_waiting)


def waiting_now(session: Session, site: str, service: str, day: date) -> int:
    """Tickets of ``day`` waiting for ``service`` (priority ones included), from the counts
    the database's triggers keep."""
    row = session.get(TicketNumber, (site, service, day))
    return row.waiting if row else 0


def issued_today(session: Session, site: str, service: str, day: date) -> int:
    row = session.get(TicketNumber, (site, service, day))
    return row.last_seq if row else 0


def format_number(prefix: str, seq: int) -> str:
    """``A`` + 12 → ``A012``; past 999 the number grows a digit (``A1000``)."""
    return f"{prefix}{seq:03d}"
