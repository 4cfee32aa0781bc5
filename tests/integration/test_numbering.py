"""Writing a numbered ticket, on SQLite and PostgreSQL (one statement there): the number's
form past 999, the queue counts it returns, and a ticket past the daily cap writing nothing,
in a transaction and as a statement of its own (PostgreSQL's autocommit, where nothing would
roll a counter bump back)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from kiosk.domain.errors import DailyCapReached
from kiosk.domain.tickets import Actor, issue_ticket
from kiosk.models import PrintJob, Ticket, TicketEvent, TicketNumber

STAFF = Actor(user_id=None, role="staff")


def _issue(db: Any, cfg: Any, clock: Any, single_statement: bool = False, **kw: Any) -> Ticket:
    with db.transaction(single_statement=single_statement) as s:
        ticket, _ = issue_ticket(s, cfg, clock, STAFF, site="hall", service="cert", **kw)
    return ticket


def test_numbers_past_999_and_queue_counts(any_db: Any, cast: Any, clock: Any) -> None:
    first = _issue(any_db, cast, clock, printer="kiosk-1")
    assert (first.number, first.ahead) == ("A001", 0)
    with any_db.transaction() as s:
        s.execute(update(TicketNumber).values(last_seq=998))
    numbers = [_issue(any_db, cast, clock) for _ in range(3)]
    assert [t.number for t in numbers] == ["A999", "A1000", "A1001"]
    assert [t.ahead for t in numbers] == [1, 2, 3]
    with any_db.read() as s:
        stored = s.scalars(select(Ticket.number).order_by(Ticket.id)).all()
        assert stored == ["A001", "A999", "A1000", "A1001"]
        assert s.scalar(select(func.count()).select_from(TicketEvent)) == 4
        job = s.scalars(select(PrintJob)).one()
        assert (job.ticket_id, job.printer, job.status) == (first.id, "kiosk-1", "queued")


@pytest.mark.parametrize("single_statement", [False, True], ids=["transaction", "statement"])
def test_past_the_cap_nothing_is_written(
    any_db: Any, cast: Any, clock: Any, single_statement: bool
) -> None:
    site = cast.site("hall")
    capped = site.model_copy(
        update={
            "services": tuple(
                s.model_copy(update={"daily_cap": 2}) if s.code == "cert" else s
                for s in site.services
            )
        }
    )
    cfg = cast.model_copy(
        update={"sites": tuple(capped if s.code == "hall" else s for s in cast.sites)}
    )
    for _ in range(2):
        _issue(any_db, cfg, clock, single_statement, printer="kiosk-1")
    for _ in range(2):  # refused twice: the counter stays at the cap
        with pytest.raises(DailyCapReached):
            _issue(any_db, cfg, clock, single_statement, printer="kiosk-1")
    with any_db.read() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 2
        assert s.scalar(select(func.count()).select_from(TicketEvent)) == 2
        assert s.scalar(select(func.count()).select_from(PrintJob)) == 2
        assert s.scalar(select(TicketNumber.last_seq)) == 2
        assert s.scalar(select(TicketNumber.waiting)) == 2


def test_sqlite_fast_path_writes_the_rows_sqlalchemy_would(db: Any, cast: Any, clock: Any) -> None:
    """On SQLite a new ticket is written on the driver connection (kiosk.storage): every
    column of its three rows must be stored exactly as SQLAlchemy's own INSERT stores the same
    values (dates, UTC instants, JSON, NULLs), or reads, reports and exports would drift."""
    from sqlalchemy import insert, text

    ticket = _issue(db, cast, clock, printer="kiosk-1", priority="elderly")
    tables = {"tickets": Ticket, "ticket_events": TicketEvent, "print_jobs": PrintJob}
    with db.transaction() as s:
        for name, model in tables.items():
            key = "id" if name == "tickets" else "ticket_id"
            row = s.execute(select(model.__table__).where(model.__table__.c[key] == ticket.id))
            values = dict(row.one()._mapping)
            values.pop("id")
            if name == "tickets":  # unique columns
                values["code"] += "-copy"
                values["seq"] += 1000
            copy = s.execute(insert(model.__table__).values(values).returning(text("id")))
            copy_id = copy.scalar_one()
            columns = ", ".join(f"{c}, typeof({c})" for c in values)
            fast, orm = (
                s.execute(text(f"SELECT {columns} FROM {name} WHERE id = :i"), {"i": i}).one()
                for i in (
                    s.execute(text(f"SELECT id FROM {name} WHERE {key} = :t"), {"t": ticket.id})
                    .scalars()
                    .first(),
                    copy_id,
                )
            )
            differ = [
                c
                for c, a, b in zip(values, fast[::2], orm[::2], strict=True)
                if c not in ("code", "seq") and a != b
            ]
            assert not differ, f"{name}: {differ}"
            assert fast[1::2] == orm[1::2], name  # the same storage class per column
