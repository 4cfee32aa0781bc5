"""Undoing a no-show marked by mistake: the domain rule, on a real SQLite database and a
fixed clock."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.config import Config
from kiosk.db import Database
from kiosk.domain.calling import UNDO_NO_SHOW_S
from kiosk.domain.clock import FixedClock
from kiosk.domain.errors import Conflict, InvalidTransition
from kiosk.domain.events import CounterChanged, TicketChanged
from kiosk.models import CounterState, TicketEvent
from tests.unit.test_queue_domain import Q


@pytest.fixture
def q(db: Database, cast: Config, clock: FixedClock) -> Q:
    return Q(db, cast, clock)


def undo(q: Q, ticket_id: int) -> list[object]:
    from kiosk.domain import calling
    from tests.unit.test_queue_domain import STAFF

    with q.db.transaction() as s:
        _, events = calling.act(s, q.cfg, q.clock, STAFF, ticket_id, "undo-no-show")
    return events


def test_a_no_show_taken_back_is_the_counters_current_ticket_again(q: Q, clock: FixedClock) -> None:
    t = q.issue()
    assert q.call() is not None
    q.act(t, "no-show")
    clock.advance(seconds=30)
    events = undo(q, t.id)
    back = q.get(t)
    assert back.status == "called" and back.counter == 1 and back.finished_at is None
    assert TicketChanged(t.id, "hall", "undo-no-show", "called", 1) in events
    assert CounterChanged("hall", 1, "serving") in events
    with q.db.read() as s:
        row = s.get(CounterState, ("hall", 1))
        assert row is not None and row.current_ticket_id == t.id
        kinds = list(s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == t.id)))
    assert kinds[-2:] == ["no_show", "no_show_undone"]
    q.act(t, "done")  # and the counter goes on as usual
    assert q.get(t).status == "done"


def test_only_a_recent_no_show_and_only_while_the_counter_is_free(q: Q, clock: FixedClock) -> None:
    first, second = q.issue(), q.issue()
    q.call()
    with pytest.raises(InvalidTransition):
        undo(q, first.id)  # not a no-show
    q.act(first, "no-show")
    assert q.call() is not None  # counter 1 calls the next citizen meanwhile
    with pytest.raises(Conflict):
        undo(q, first.id)
    q.act(second, "hold")
    undo(q, first.id)  # the counter is free again

    q.act(first, "no-show")
    clock.advance(seconds=UNDO_NO_SHOW_S + 1)
    with pytest.raises(InvalidTransition) as late:
        undo(q, first.id)
    assert "requeue" in (late.value.en or "")
    assert q.get(first).status == "no_show"
