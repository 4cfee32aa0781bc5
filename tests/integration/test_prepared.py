"""``Prepared`` statements (the issue path's fast lane) write exactly what SQLAlchemy would:
the same stored forms of times, days and JSON, values fixed in the statement, and the same
exceptions, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from kiosk.db import Database, Prepared
from kiosk.domain.tickets import Actor, issue_ticket
from kiosk.models import TicketEvent, TicketNumber

AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # microsecond 0: stored forms differ there


def _ticket(db: Database, cast, clock) -> int:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        t, _ = issue_ticket(s, cast, clock, Actor(role="staff"), site="hall", service="cert")
    return int(t.id)


def test_same_stored_forms_as_sqlalchemy(any_db: Database, cast, clock) -> None:  # type: ignore[no-untyped-def]
    columns = ("ticket_id", "kind", "at", "site", "counter", "user_id", "device_id", "data")
    fast = Prepared.insert(TicketEvent.__table__, columns)
    row = dict(
        ticket_id=_ticket(any_db, cast, clock),
        kind="issued",
        at=AT,
        site="hall",
        counter=None,
        user_id=None,
        device_id=None,
        data={"address": "10.0.0.7", "tên": "Quầy 1"},
    )
    with any_db.write() as conn:
        fast.run(conn, row)
        conn.execute(insert(TicketEvent.__table__), {**row, "kind": "called"})
    with any_db.read() as s:
        events = {e.kind: e for e in s.scalars(select(TicketEvent).where(TicketEvent.at == AT))}
        assert events["issued"].at == events["called"].at == AT
        assert events["issued"].data == events["called"].data == row["data"]
        # Compared in SQL against a bound value, as queries do: equal, not merely alike.
        assert set(events) == {"called", "issued"}


def test_values_fixed_in_the_statement_and_returning(any_db: Database) -> None:
    table = TicketNumber.__table__
    bump = Prepared(
        insert(table)
        .values(site=bindparam("site"), service="cert", business_day=bindparam("day"), last_seq=7)
        .returning(table.c.last_seq, table.c.waiting)
    )
    with any_db.write() as conn:
        assert tuple(bump.run(conn, {"site": "hall", "day": date(2026, 11, 25)}).fetchone()) == (
            7,
            0,
        )
    with any_db.read() as s:
        assert s.get(TicketNumber, ("hall", "cert", date(2026, 11, 25))) is not None


def test_errors_are_sqlalchemy_errors_and_roll_back(any_db: Database) -> None:
    add = Prepared.insert(TicketNumber.__table__, ("site", "service", "business_day", "last_seq"))
    row = {"site": "hall", "service": "cert", "business_day": date(2026, 11, 25), "last_seq": 1}
    with any_db.write() as conn:
        add.run(conn, row)
    with pytest.raises(IntegrityError), any_db.write() as conn:
        add.run(conn, {**row, "service": "civil"})
        add.run(conn, {**row, "last_seq": 2})  # the same key again
    with any_db.read() as s:
        assert s.execute(select(TicketNumber.service, TicketNumber.last_seq)).all() == [("cert", 1)]


def test_a_value_for_no_column_is_refused(any_db: Database) -> None:
    """Its column list and the caller's dict can drift apart: that must not lose a value."""
    add = Prepared.insert(TicketNumber.__table__, ("site", "service", "business_day", "last_seq"))
    row = {"site": "hall", "service": "cert", "business_day": date(2026, 11, 25), "last_seq": 1}
    with pytest.raises(KeyError, match="waiting"), any_db.write() as conn:
        add.run(conn, {**row, "waiting": 3})
    with any_db.read() as s:
        assert s.scalar(select(TicketNumber.service)) is None
