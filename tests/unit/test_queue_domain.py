"""The queue core through the domain functions, on a real SQLite database and a fixed clock."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from kiosk.config import Config, PriorityPolicy
from kiosk.db import Database
from kiosk.domain import calling, counters
from kiosk.domain.clock import FixedClock
from kiosk.domain.errors import (
    DailyCapReached,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    ServiceClosed,
)
from kiosk.domain.events import TicketCalled
from kiosk.domain.queue import Estimator, ahead_of, display_state
from kiosk.domain.tickets import Actor, issue_ticket
from kiosk.models import AuditEntry, Ticket, TicketEvent
from tests.conftest import at

STAFF = Actor(user_id=None, role="staff")
KIOSK = Actor(device_id=None, role="kiosk")


def staff() -> Actor:
    # is_staff is decided by user_id; the audit rows accept a missing user in unit tests.
    return Actor(user_id=None, role="staff")


class Q:
    """Tiny driver over the domain: one transaction per call, like the API."""

    def __init__(self, db: Database, cfg: Config, clock: FixedClock) -> None:
        self.db, self.cfg, self.clock = db, cfg, clock

    def issue(
        self, service: str = "cert", site: str = "hall", actor: Actor = KIOSK, **kw: Any
    ) -> Ticket:
        with self.db.transaction() as s:
            t, _ = issue_ticket(s, self.cfg, self.clock, actor, site=site, service=service, **kw)
        return t

    def call(self, counter: int = 1, site: str = "hall") -> Ticket | None:
        with self.db.transaction() as s:
            t, _ = calling.call_next(s, self.cfg, self.clock, STAFF, site, counter)
        return t

    def call_events(self, counter: int = 1) -> list[Any]:
        with self.db.transaction() as s:
            _, events = calling.call_next(s, self.cfg, self.clock, STAFF, "hall", counter)
        return events

    def act(self, ticket: Ticket, action: str, **body: Any) -> Ticket:
        with self.db.transaction() as s:
            t, _ = calling.act(s, self.cfg, self.clock, STAFF, ticket.id, action, body)
        return t

    def get(self, ticket: Ticket) -> Ticket:
        with self.db.read() as s:
            t = s.get(Ticket, ticket.id)
            assert t is not None
            return t


@pytest.fixture
def q(db: Database, cast: Config, clock: FixedClock) -> Q:
    return Q(db, cast, clock)


# --- numbering ---------------------------------------------------------------------------------


def test_numbers_are_per_service_three_digits_and_gap_free(q: Q) -> None:
    assert [q.issue().number for _ in range(3)] == ["A001", "A002", "A003"]
    assert q.issue("civil").number == "B001"
    assert q.issue().number == "A004"


def test_numbers_restart_at_local_midnight_not_utc_midnight(q: Q, clock: FixedClock) -> None:
    clock.set(at("2026-11-25 06:59"))  # 23:59 UTC the day before
    q.issue()
    clock.set(at("2026-11-25 07:01"))  # UTC midnight has passed: same local day
    assert q.issue().number == "A002"
    clock.set(at("2026-11-25 23:59"))
    assert q.issue().number == "A003"
    clock.set(at("2026-11-26 00:00"))
    first = q.issue()
    assert first.number == "A001"
    assert str(first.business_day) == "2026-11-26"
    with q.db.read() as s:  # yesterday's tickets are kept
        assert len(s.scalars(select(Ticket)).all()) == 4


def test_number_grows_a_digit_past_999(q: Q) -> None:
    from kiosk.domain.numbering import format_number

    assert format_number("A", 999) == "A999"
    assert format_number("A", 1000) == "A1000"


def test_unknown_site_service_or_priority(q: Q) -> None:
    with pytest.raises(NotFound):
        q.issue(site="nowhere")
    with pytest.raises(NotFound):
        q.issue("nothing")
    with pytest.raises(InvalidInput):
        q.issue(priority="vip")


# --- hours and caps ----------------------------------------------------------------------------


def test_closed_outside_hours_says_when_it_reopens(q: Q, clock: FixedClock) -> None:
    clock.set(at("2026-11-25 12:00"))  # lunch break at the annex
    with pytest.raises(ServiceClosed) as exc:
        q.issue("help", site="annex")
    assert exc.value.reopens_at == at("2026-11-25 13:30")
    clock.set(at("2026-11-28 09:00"))  # Saturday: the annex reopens Monday
    with pytest.raises(ServiceClosed) as exc:
        q.issue("help", site="annex")
    assert exc.value.reopens_at == at("2026-11-30 08:00")
    clock.set(at("2026-11-25 17:00"))  # the end of an interval is closed
    with pytest.raises(ServiceClosed):
        q.issue("help", site="annex")
    clock.set(at("2026-11-25 08:00"))
    assert q.issue("help", site="annex").number == "H001"


def test_daily_cap_refuses_without_consuming_a_number(q: Q, clock: FixedClock) -> None:
    clock.set(at("2026-11-27 10:00"))  # Friday
    for _ in range(3):
        q.issue("help", site="annex")
    with pytest.raises(DailyCapReached) as exc:
        q.issue("help", site="annex")
    assert exc.value.reopens_at == at("2026-11-30 08:00")  # next working day
    from kiosk.domain.numbering import issued_today

    with q.db.read() as s:
        assert issued_today(s, "annex", "help", at("2026-11-27 10:00").date()) == 3


def test_holiday_is_closed(q: Q, cast: Config, clock: FixedClock) -> None:
    cfg = cast.model_copy(
        update={
            "settings": cast.settings.model_copy(
                update={"holidays": (at("2026-11-25 00:00").date(),)}
            )
        }
    )
    q.cfg = cfg
    clock.set(at("2026-11-25 09:00"))
    with pytest.raises(ServiceClosed) as exc:
        q.issue("help", site="annex")
    assert exc.value.reopens_at == at("2026-11-26 08:00")


# --- calling -----------------------------------------------------------------------------------


def test_call_next_follows_the_counters_service_order_then_fifo(q: Q, clock: FixedClock) -> None:
    b1 = q.issue("civil")
    clock.advance(seconds=1)
    a1 = q.issue("cert")
    clock.advance(seconds=1)
    a2 = q.issue("cert")
    assert q.call(1).id == a1.id  # counter 1: cert first, although civil is older
    assert q.call(2).id == b1.id  # counter 2: civil first
    assert q.call(2).id == a2.id  # then its secondary service
    assert q.call(2) is None


def test_call_next_closes_the_current_ticket_as_done(q: Q) -> None:
    a1, a2 = q.issue(), q.issue()
    q.call(1)
    q.call(1)
    assert q.get(a1).status == "done"
    assert q.get(a1).finished_at is not None
    assert q.get(a2).status == "called"
    assert q.call(1) is None
    assert q.get(a2).status == "done"


def test_strict_priority(q: Q, cast: Config, clock: FixedClock) -> None:
    site = cast.site("hall")
    assert site is not None
    q.cfg = cast.model_copy(
        update={
            "sites": tuple(
                s.model_copy(update={"priority_policy": PriorityPolicy(mode="strict")})
                if s.code == "hall"
                else s
                for s in cast.sites
            )
        }
    )
    normal = [q.issue() for _ in range(3)]
    clock.advance(seconds=5)
    prio = q.issue(priority="elderly")
    assert q.call().id == prio.id
    assert [q.call().id for _ in range(3)] == [t.id for t in normal]


def test_interleave_one_in_three(q: Q, clock: FixedClock) -> None:
    normal = [q.issue() for _ in range(6)]
    prio = [q.issue(priority="elderly") for _ in range(2)]
    order = [q.call().id for _ in range(8)]
    # Two ordinary calls, then a priority one, then two ordinary, then priority...
    assert order == [
        normal[0].id,
        normal[1].id,
        prio[0].id,
        normal[2].id,
        normal[3].id,
        prio[1].id,
        normal[4].id,
        normal[5].id,
    ]


def test_interleave_calls_priority_at_once_after_a_long_ordinary_run(q: Q) -> None:
    for _ in range(4):
        q.issue()
        q.call()
    p = q.issue(priority="disability")
    q.issue()
    assert q.call().id == p.id


def test_priority_issue_and_call_are_audited(q: Q) -> None:
    p = q.issue(priority="elderly")
    q.call()
    with q.db.read() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(r.action, r.ticket_id, r.details["group"]) for r in rows] == [
        ("priority_issued", p.id, "elderly"),
        ("priority_called", p.id, "elderly"),
    ]
    assert rows[0].details["policy"] == "interleave"


def test_kiosk_priority_modes(q: Q, cast: Config) -> None:
    def with_mode(mode: str) -> Config:
        pr = cast.settings.priority.model_copy(update={"kiosk": mode})
        return cast.model_copy(
            update={"settings": cast.settings.model_copy(update={"priority": pr})}
        )

    q.cfg = with_mode("confirm")
    t = q.issue(priority="elderly")
    assert (t.priority, t.priority_requested) == (None, "elderly")
    q.cfg = with_mode("off")
    with pytest.raises(Forbidden):
        q.issue(priority="elderly")


def test_display_events_number_per_display_and_recall_repeats(q: Q) -> None:
    a1 = q.issue()
    q.issue()
    events = q.call_events(1)
    called = [e for e in events if isinstance(e, TicketCalled)][0]
    assert [(d.display_id, d.event_id) for d in called.displays] == [(1, 1)]
    assert called.displays[0].payload["recall"] is False
    with q.db.transaction() as s:
        _, ev = calling.act(s, q.cfg, q.clock, STAFF, a1.id, "recall", {})
    assert ev[0].displays[0].event_id == 2 and ev[0].displays[0].payload["recall"] is True
    assert q.get(a1).recalls == 1
    with q.db.read() as s:
        state = display_state(s, q.cfg, q.clock, 1)
    assert state["event_id"] == 2
    assert state["now_serving"] == [
        {
            "counter": 1,
            "number": "A001",
            "service": "cert",
            "called_at": state["now_serving"][0]["called_at"],
        }
    ]
    assert state["now_serving"][0]["called_at"].endswith("+07:00")
    assert [r["number"] for r in state["recent"]] == ["A001"]


# --- actions -----------------------------------------------------------------------------------


def test_the_whole_life_of_a_ticket_is_logged(q: Q) -> None:
    t = q.issue()
    q.call()
    q.act(t, "recall")
    q.act(t, "start")
    q.act(t, "done")
    with q.db.read() as s:
        kinds = s.scalars(
            select(TicketEvent.kind).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)
        ).all()
    assert kinds == ["issued", "called", "recalled", "started", "done"]


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ([], "done"),
        ([], "start"),
        ([], "recall"),
        ([], "no-show"),
        ([], "hold"),
        (["call", "done"], "start"),
        (["call", "done"], "requeue"),
        (["call", "no-show"], "done"),
        (["call", "start"], "start"),
        (["call", "start"], "no-show"),
        ([], "resume"),
    ],
)
def test_impossible_transitions_are_refused(q: Q, setup: list[str], action: str) -> None:
    t = q.issue()
    for step in setup:
        q.call() if step == "call" else q.act(t, step)
    before = q.get(t).status
    with pytest.raises(InvalidTransition):
        q.act(t, action)
    assert q.get(t).status == before


def test_no_show_requeue_goes_to_the_back(q: Q, clock: FixedClock) -> None:
    a1, a2 = q.issue(), q.issue()
    q.call()
    q.act(a1, "no-show")
    assert q.get(a1).status == "no_show"
    clock.advance(minutes=1)
    q.act(a1, "requeue")
    assert q.get(a1).status == "waiting"
    assert q.call().id == a2.id
    assert q.call().id == a1.id


def test_hold_and_resume_at_the_same_counter(q: Q) -> None:
    a1, a2 = q.issue(), q.issue()
    q.call()
    q.act(a1, "hold")
    assert q.get(a1).status == "held"
    q.call()  # the counter moves on while the citizen fetches a paper
    with pytest.raises(Exception, match="đang phục vụ số A002"):
        q.act(a1, "resume")
    q.act(a2, "done")
    q.act(a1, "resume")
    assert q.get(a1).status == "called" and q.get(a1).counter == 1


def test_transfer_keeps_number_and_place(q: Q, clock: FixedClock) -> None:
    a1 = q.issue("cert")
    clock.advance(minutes=1)
    b1 = q.issue("civil")
    q.call(1)
    q.act(a1, "transfer", service="civil", note="cần trích lục")
    t = q.get(a1)
    assert (t.status, t.service, t.number, t.counter, t.note) == (
        "transferred",
        "civil",
        "A001",
        None,
        "cần trích lục",
    )
    assert q.call(2).id == a1.id  # its original issue time is older than B001's
    assert q.call(2).id == b1.id
    with pytest.raises(InvalidInput):
        q.act(b1, "transfer", service="nowhere")


def test_staff_of_another_site_cannot_act(q: Q) -> None:
    t = q.issue()
    with q.db.transaction() as s, pytest.raises(Forbidden):
        calling.act(s, q.cfg, q.clock, Actor(role="staff", site="annex"), t.id, "cancel", {})


def test_pause_and_resume_counter(q: Q) -> None:
    with q.db.transaction() as s:
        row, _ = counters.pause_counter(s, q.cfg, q.clock, STAFF, "hall", 1, "họp giao ban")
        assert (row.status, row.pause_reason) == ("paused", "họp giao ban")
    with q.db.transaction() as s:
        row, _ = counters.pause_counter(s, q.cfg, q.clock, STAFF, "hall", 1, None)
        assert row.status == "idle"


def test_call_a_given_ticket_out_of_turn_is_audited(q: Q) -> None:
    q.issue()
    a2 = q.issue()
    with q.db.transaction() as s:
        t, _ = calling.call_ticket(s, q.cfg, q.clock, STAFF, "hall", 2, a2.id)
    assert (t.status, t.counter) == ("called", 2)
    with q.db.read() as s:
        assert s.scalar(select(AuditEntry.action)) == "called_out_of_order"
    with q.db.transaction() as s, pytest.raises(InvalidTransition):
        calling.call_ticket(s, q.cfg, q.clock, STAFF, "hall", 1, a2.id)


# --- estimates, limits, ratings ----------------------------------------------------------------


def test_estimate_is_ahead_times_mean_service_time_over_counters(q: Q, clock: FixedClock) -> None:
    est = Estimator(q.cfg, clock, ttl_s=0)
    tickets = [q.issue() for _ in range(5)]
    site = q.cfg.site("hall")
    assert site is not None
    svc = site.service("cert")
    assert svc is not None
    with q.db.read() as s:
        assert ahead_of(s, tickets[3]) == 3
        # No history: the default 300 s; two counters serve cert.
        assert est.wait_s(s, site, svc, 4) == 4 * 300 // 2
    q.call(1)
    clock.advance(seconds=120)
    q.call(1)  # the first took 120 s; counter 1 is now staffed, counter 2 is closed
    with q.db.read() as s:
        assert est.service_time_s(s, site, svc) == 120
        assert est.counters_serving(s, site, svc) == 1
        assert est.wait_s(s, site, svc, 3) == 360


def test_priority_ticket_counts_only_priority_ahead(q: Q) -> None:
    q.issue()
    p1 = q.issue(priority="elderly")
    n = q.issue()
    p2 = q.issue(priority="elderly")
    with q.db.read() as s:
        assert ahead_of(s, q.get(p1)) == 0
        assert ahead_of(s, q.get(p2)) == 1
        assert ahead_of(s, q.get(n)) == 3


def test_rating_once_for_a_done_ticket(q: Q) -> None:
    from kiosk.domain.errors import Conflict
    from kiosk.domain.ratings import rate_ticket

    t = q.issue()
    q.call()

    def rate(score: int, **kw: Any) -> Any:
        with q.db.transaction() as s:
            return rate_ticket(
                s, q.cfg, q.clock, Actor(), q.get(t), score=score, source="phone", **kw
            )

    with pytest.raises(Conflict):
        rate(4)
    q.act(t, "done")
    with pytest.raises(InvalidInput):
        rate(5)
    with pytest.raises(InvalidInput):
        rate(2, reasons=["nope"])
    r = rate(2, reasons=["long_wait"])
    assert (r.score, r.scale, r.label, r.counter) == (2, 4, "Bình thường", 1)
    with pytest.raises(Conflict):
        rate(4)


def test_a_queue_lives_one_day(q: Q, clock: FixedClock) -> None:
    from kiosk.domain.tickets import expire_stale

    clock.set(at("2026-11-25 16:00"))
    old = q.issue()
    held = q.issue()
    q.call(1)
    q.call(1)
    q.act(held, "hold")
    clock.set(at("2026-11-26 08:00"))
    new = q.issue()
    with q.db.read() as s:
        assert ahead_of(s, q.get(new)) == 0
    assert q.call(2).id == new.id  # yesterday's waiting ticket is not called first
    with q.db.transaction() as s:
        assert expire_stale(s, clock) == 1
    assert q.get(held).status == "cancelled"
    assert q.get(old).status == "done"
    with q.db.read() as s:
        kinds = s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == held.id)).all()
    assert kinds[-1] == "expired"
    with q.db.transaction() as s:
        assert expire_stale(s, clock) == 0
