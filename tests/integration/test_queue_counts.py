"""The waiting counts the database's triggers keep (``ticket_numbers.waiting`` and
``priority_waiting``) always equal a real count of the queue, whatever happens to tickets:
issue, call, recall, transfer, requeue, hold, resume, cancel, no-show, done, expiry. A new
ticket's ``ahead`` comes from them, so a drift would show citizens a wrong place."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import func, select, text

from kiosk.db import Database
from kiosk.dbsetup import alembic_config, upgrade
from kiosk.domain import calling
from kiosk.domain.clock import FixedClock
from kiosk.domain.errors import DomainError
from kiosk.domain.tickets import WAITING, Actor, expire_stale, issue_ticket
from kiosk.models import Ticket, TicketNumber
from tests.conftest import at

STAFF = Actor(user_id=None, role="staff")
ACTIONS = ("recall", "start", "done", "no-show", "requeue", "hold", "resume", "transfer", "cancel")


def counts_match(db: Database) -> None:
    with db.read() as s:
        kept = {
            (r.site, r.service, r.business_day): (r.waiting, r.priority_waiting)
            for r in s.scalars(select(TicketNumber))
        }
        real: dict[tuple, list[int]] = {}
        rows = s.execute(
            select(Ticket.site, Ticket.service, Ticket.business_day, Ticket.priority).where(
                Ticket.status.in_(WAITING)
            )
        )
        for site, service, day, priority in rows:
            c = real.setdefault((site, service, day), [0, 0])
            c[0] += 1
            c[1] += priority is not None
    for key in set(kept) | set(real):
        assert kept.get(key, (0, 0)) == tuple(real.get(key, (0, 0))), key


def random_history(db: Database, cast, clock: FixedClock, seed: int, steps: int) -> set[str]:  # type: ignore[no-untyped-def]
    """Issue, call and act at random; check the counts after every step. Returns every status
    a ticket was seen in."""
    rng = random.Random(seed)
    ids: list[int] = []
    seen: set[str] = set()
    for _ in range(steps):
        clock.advance(seconds=rng.randint(1, 90))
        roll = rng.random()
        try:
            with db.transaction() as s:
                if roll < 0.35:
                    t, _ = issue_ticket(
                        s,
                        cast,
                        clock,
                        STAFF,
                        site="hall",
                        service=rng.choice(["cert", "civil"]),
                        priority=rng.choice([None, None, "elderly"]),
                    )
                    ids.append(t.id)
                elif roll < 0.6:
                    calling.call_next(s, cast, clock, STAFF, "hall", rng.choice([1, 2]))
                elif ids:
                    action = rng.choice(ACTIONS)
                    body = {"service": rng.choice(["cert", "civil"])}
                    at_counter = list(
                        s.scalars(select(Ticket.id).where(Ticket.status.in_(("called", "serving"))))
                    )
                    target = rng.choice(at_counter if at_counter and rng.random() < 0.5 else ids)
                    calling.act(s, cast, clock, STAFF, target, action, body)
        except DomainError:
            pass  # a move the ticket's status does not allow: rolled back, nothing changed
        counts_match(db)
        with db.read() as s:
            seen.update(s.scalars(select(Ticket.status).distinct()))
    return seen


def test_counts_follow_every_change(any_db: Database, cast, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    seen = random_history(any_db, cast, clock, seed=7, steps=400)
    # The history really went through the moves that matter for the counts.
    assert {"waiting", "transferred", "called", "done", "held", "cancelled", "no_show"} <= seen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_follow_random_histories(db: Database, cast, clock: FixedClock, seed: int) -> None:  # type: ignore[no-untyped-def]
    random_history(db, cast, clock, seed=seed, steps=250)


def test_expiry_and_the_next_day(any_db: Database, cast, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    with any_db.transaction() as s:
        for service in ("cert", "cert", "civil"):
            issue_ticket(s, cast, clock, STAFF, site="hall", service=service)
    clock.advance(days=1)
    with any_db.transaction() as s:
        assert expire_stale(s, clock) == 3
        t, _ = issue_ticket(s, cast, clock, STAFF, site="hall", service="cert")
    assert t.ahead == 0 and t.number.endswith("001")  # type: ignore[attr-defined]
    counts_match(any_db)


def test_ahead_of_a_new_ticket(any_db: Database, cast, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    """Ahead of an ordinary ticket: everyone waiting; of a priority ticket: the priority
    tickets waiting (a transfer into the service counts as waiting there)."""

    def issue(service: str = "cert", priority: str | None = None) -> Ticket:
        clock.advance(seconds=5)
        with any_db.transaction() as s:
            t, _ = issue_ticket(
                s, cast, clock, STAFF, site="hall", service=service, priority=priority
            )
        return t

    assert issue().ahead == 0  # type: ignore[attr-defined]
    assert issue().ahead == 1  # type: ignore[attr-defined]
    assert issue(priority="elderly").ahead == 0  # type: ignore[attr-defined]
    assert issue(priority="elderly").ahead == 1  # type: ignore[attr-defined]
    assert issue().ahead == 4  # type: ignore[attr-defined]
    moved = issue("civil")
    with any_db.transaction() as s:
        calling.act(s, cast, clock, STAFF, moved.id, "transfer", {"service": "cert"})
    assert issue().ahead == 6  # type: ignore[attr-defined]
    with any_db.transaction() as s:
        called, _ = calling.call_next(s, cast, clock, STAFF, "hall", 1)
    assert called is not None
    assert issue().ahead == 6  # type: ignore[attr-defined]
    priority_left = 1 if called.priority else 2
    assert issue(priority="elderly").ahead == priority_left  # type: ignore[attr-defined]


def test_migration_counts_what_already_waits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A database made before the counts existed gets them right on upgrade."""
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        command.upgrade(alembic_config(db.url), "0004")
        day = at("2026-11-25 09:00")
        with db.engine.begin() as conn:
            for seq, (service, status, priority) in enumerate(
                [
                    ("cert", "waiting", None),
                    ("cert", "waiting", "elderly"),
                    ("cert", "called", None),
                    ("civil", "transferred", None),
                    ("civil", "done", None),
                ],
                start=1,
            ):
                conn.execute(
                    text(
                        "INSERT INTO tickets (code, site, service, origin_service, business_day,"
                        " seq, number, priority, status, issued_at, order_at, recalls,"
                        " print_status) VALUES (:code, 'hall', :service, 'cert', :day, :seq,"
                        " :number, :priority, :status, :at, :at, 0, 'none')"
                    ),
                    {
                        "code": f"c{seq}",
                        "service": service,
                        "day": day.date(),
                        "seq": seq,
                        "number": f"A00{seq}",
                        "priority": priority,
                        "status": status,
                        "at": day + timedelta(minutes=seq),
                    },
                )
            conn.execute(
                text(
                    "INSERT INTO ticket_numbers (site, service, business_day, last_seq)"
                    " VALUES ('hall', 'cert', :day, 5)"
                ),
                {"day": day.date()},
            )
        upgrade(db)
        counts_match(db)
        with db.read() as s:
            cert = s.get(TicketNumber, ("hall", "cert", day.date()))
            assert cert is not None and (cert.last_seq, cert.waiting) == (5, 2)
            assert cert.priority_waiting == 1
            assert s.scalar(select(func.count()).select_from(TicketNumber)) == 2
    finally:
        db.dispose()
