"""A single-statement block on PostgreSQL: the new ticket's statement runs on the driver's
connection as a transaction of its own (``kiosk.db.Database.transaction``).

What SQLAlchemy would have done around it must still happen: its errors come out as
SQLAlchemy's (the API's retry on a racing idempotency key catches ``IntegrityError``), without
the parameters, a failed statement writes nothing, and the connection goes back to the pool
as the pool handed it out — a connection left in autocommit would commit half of the next
transaction that uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from kiosk import dbsetup
from kiosk.config import Config
from kiosk.db import Database
from kiosk.domain import idempotency
from kiosk.domain.clock import FixedClock
from kiosk.domain.tickets import Actor, issue_ticket
from kiosk.models import ApiToken, IdempotencyKey, Ticket

pytestmark = pytest.mark.postgres

KIOSK = Actor(role="kiosk")


@pytest.fixture
def pg_db(pg_url: str) -> Iterator[Database]:
    database = Database(pg_url)
    dbsetup.upgrade(database)  # the migrations' triggers keep the waiting counts
    yield database
    database.dispose()


def _token(db: Database, now: datetime) -> int:
    with db.transaction() as s:
        row = ApiToken(token_hash="x" * 64, created_at=now)
        s.add(row)
        s.flush()
        return int(row.id)


def _issue(
    db: Database, cfg: Config, clock: FixedClock, key: dict[str, Any] | None = None
) -> Ticket:
    with db.transaction(single_statement=True) as s:
        ticket, _ = issue_ticket(s, cfg, clock, KIOSK, site="hall", service="cert", key=key)
    return ticket


def test_a_failed_statement_writes_nothing_and_leaves_the_connection_as_it_was(
    pg_db: Database, cast: Config, clock: FixedClock
) -> None:
    token_id = _token(pg_db, clock.now())
    key = idempotency.key_row(token_id, "tap-1", "secret-fingerprint", clock.now())
    first = _issue(pg_db, cast, clock, key)
    assert (first.seq, first.number) == (1, "A001")
    assert first.issued_at == clock.now()

    with pytest.raises(IntegrityError) as raised:  # the same key again: as SQLAlchemy raises it
        _issue(pg_db, cast, clock, key)
    assert "secret-fingerprint" not in str(raised.value)  # no parameters in the message

    # Nothing of the failed statement remains: the next ticket takes the next number.
    assert _issue(pg_db, cast, clock).number == "A002"

    # One connection served all of the above (the pool hands back the one it holds). A
    # transaction that fails on it must still undo everything it wrote.
    with pytest.raises(RuntimeError), pg_db.transaction() as s:
        s.execute(text("UPDATE tickets SET status = 'cancelled'"))
        raise RuntimeError("the use case failed")
    with pg_db.read() as s:
        assert set(s.scalars(select(Ticket.status))) == {"waiting"}
        stored = s.execute(select(Ticket.issued_at).where(Ticket.id == first.id)).scalar_one()
        keys = s.execute(select(IdempotencyKey.ticket_id)).scalars().all()
    assert stored == clock.now()  # the instant went through the column's type: aware UTC
    assert keys == [first.id]
    assert pg_db.engine.pool.checkedout() == 0
