"""The queue's guarantees under concurrency, on SQLite and on PostgreSQL.

* numbering: many threads issuing at once get unique, gap-free numbers;
* calling: counters calling at once get each ticket exactly once, and never hear "nothing
  waits" while a ticket is still waiting;
* idempotency: the same ``Idempotency-Key`` sent at once by one kiosk gives one ticket.

Each thread uses its own sessions (``db.transaction()`` per use case, as the API does) and
starts at a barrier so that the transactions really overlap. A thread records its exception
rather than dying silently: any exception fails the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from kiosk.config import Config, load_config
from kiosk.db import Database
from kiosk.domain import calling
from kiosk.domain.clock import FixedClock
from kiosk.domain.tickets import Actor, issue_ticket
from kiosk.models import Base, Ticket, TicketEvent, TicketNumber
from tests import serverproc

STAFF = Actor(role="staff")
KIOSK = Actor(role="kiosk")
JOIN_TIMEOUT_S = 60


def run_threads(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[Exception]]:
    """Run ``work(i)`` for i in range(count) in threads released together; return the results
    (in thread order) and the exceptions raised."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[Exception] = []

    def body(i: int) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT_S)
            results[i] = work(i)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,), name=f"worker-{i}") for i in range(count)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads still running after {JOIN_TIMEOUT_S} s: {stuck}"
    return results, errors


def describe(errors: list[Exception]) -> str:
    kinds = Counter(f"{type(e).__name__}: {str(e).splitlines()[0][:160]}" for e in errors)
    return "; ".join(f"{n} × {k}" for k, n in kinds.most_common(5))


# --- numbering ---------------------------------------------------------------------------------

THREADS, PER_THREAD = 16, 40


def issue_many(
    db: Database,
    cfg: Config,
    clock: FixedClock,
    services: list[str],
    *,
    single_statement: bool = False,
) -> list[Ticket]:
    """Issue one ticket of each of ``services`` in turn; ``single_statement`` as the API does
    (on PostgreSQL the ticket's statement then commits on its own, on the driver)."""
    out = []
    for service in services:
        with db.transaction(single_statement=single_statement) as s:
            ticket, _ = issue_ticket(s, cfg, clock, KIOSK, site="hall", service=service)
        out.append(ticket)
    return out


def check_numbers(
    db: Database, issued: list[Ticket], service: str, prefix: str, expected: int
) -> None:
    """Every ticket of ``service`` answered to a thread, and every row in the database, holds a
    distinct number, and together they are exactly 1..expected."""
    answered = sorted(t.seq for t in issued if t.service == service)
    assert len(answered) == expected
    duplicates = [seq for seq, n in Counter(answered).items() if n > 1]
    assert not duplicates, f"{service}: numbers handed out twice: {duplicates[:10]}"
    assert answered == list(range(1, expected + 1)), f"{service}: gaps in the numbers"
    assert {t.number for t in issued if t.service == service} == {
        f"{prefix}{i:03d}" for i in range(1, expected + 1)
    }
    with db.read() as s:
        rows = s.execute(
            select(Ticket.seq, Ticket.number).where(Ticket.service == service).order_by(Ticket.seq)
        ).all()
        last = s.scalar(select(TicketNumber.last_seq).where(TicketNumber.service == service))
    assert [seq for seq, _ in rows] == list(range(1, expected + 1))
    assert [n for _, n in rows] == [f"{prefix}{i:03d}" for i in range(1, expected + 1)]
    assert last == expected


@pytest.mark.parametrize("single_statement", [False, True], ids=["transaction", "statement"])
def test_numbering_16_threads_unique_and_gap_free(
    any_db: Database, cast: Config, clock: FixedClock, single_statement: bool
) -> None:
    results, errors = run_threads(
        THREADS,
        lambda _i: issue_many(
            any_db, cast, clock, ["cert"] * PER_THREAD, single_statement=single_statement
        ),
    )
    assert not errors, describe(errors)
    issued = [t for batch in results for t in batch]
    check_numbers(any_db, issued, "cert", "A", THREADS * PER_THREAD)


def test_numbering_two_services_interleaved(
    any_db: Database, cast: Config, clock: FixedClock
) -> None:
    # Even threads start with cert, odd ones with civil; each alternates.
    def work(i: int) -> list[Ticket]:
        first, second = ("cert", "civil") if i % 2 == 0 else ("civil", "cert")
        services = [first, second] * (PER_THREAD // 2)
        return issue_many(any_db, cast, clock, services, single_statement=True)

    results, errors = run_threads(THREADS, work)
    assert not errors, describe(errors)
    issued = [t for batch in results for t in batch]
    half = THREADS * PER_THREAD // 2
    check_numbers(any_db, issued, "cert", "A", half)
    check_numbers(any_db, issued, "civil", "B", half)


PROCESSES, PER_PROCESS = 4, 40

# A separate Python process issuing tickets through the domain: the in-process SQLite writer
# mutex of kiosk.db does not reach across processes, so this checks the database's own guards.
ISSUER = """
import json, sys, time
from datetime import datetime
from kiosk.config import load_config
from kiosk.db import Database
from kiosk.domain.clock import FixedClock
from kiosk.domain.tickets import Actor, issue_ticket

url, config, count, start, when = sys.argv[1:6]
cfg, db = load_config(config), Database(url)
clock = FixedClock(datetime.fromisoformat(when))
time.sleep(max(0.0, float(start) - time.time()))
out = []
try:
    for i in range(int(count)):
        with db.transaction(single_statement=True) as s:
            t, _ = issue_ticket(s, cfg, clock, Actor(role="kiosk"), site="hall",
                                service=("cert", "civil")[i % 2])
            out.append([t.service, t.seq, t.number])
finally:
    db.dispose()
print(json.dumps(out))
"""


@pytest.mark.slow
def test_numbering_4_processes_unique_and_gap_free(any_db: Database, clock: FixedClock) -> None:
    start = time.time() + 2.5  # after every process has imported the stack
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                ISSUER,
                any_db.url,
                str(serverproc.CAST),
                str(PER_PROCESS),
                str(start),
                clock.now().isoformat(),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=serverproc.REPO,
        )
        for _ in range(PROCESSES)
    ]
    outputs = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=JOIN_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, err.strip().splitlines()[-3:]
        outputs.append(json.loads(out))
    issued = [
        Ticket(service=service, seq=seq, number=number)
        for batch in outputs
        for service, seq, number in batch
    ]
    half = PROCESSES * PER_PROCESS // 2
    check_numbers(any_db, issued, "cert", "A", half)
    check_numbers(any_db, issued, "civil", "B", half)


# --- calling -----------------------------------------------------------------------------------

COUNTERS, TICKETS = 8, 300


@pytest.fixture
def eight_counters(tmp_path: Path) -> Config:
    """The cast's hall with 8 counters serving both services (in differing orders)."""
    return load_config(serverproc.write_config(tmp_path / "config", counters=COUNTERS))


def test_calling_8_counters_each_ticket_once_and_no_false_empty(
    any_db: Database, eight_counters: Config, clock: FixedClock
) -> None:
    cfg = eight_counters
    with any_db.transaction() as s:
        for i in range(TICKETS):
            issue_ticket(s, cfg, clock, KIOSK, site="hall", service=("cert", "civil")[i % 2])
    with any_db.read() as s:
        all_ids = set(s.scalars(select(Ticket.id)))
    assert len(all_ids) == TICKETS

    # Every counter claims its first ticket before any claims a second, so that the load is
    # shared however the threads are scheduled (one thread re-taking SQLite's writer lock
    # back to back could otherwise call the whole queue alone: a serialised run that would
    # still pass every check below).
    first_claims = threading.Barrier(COUNTERS)

    def counter_loop(i: int) -> list[tuple[float, float, int | None]]:
        """Call until "nothing waits"; each call as (start, end, ticket id or None), where
        start is taken before the transaction begins and end after it committed."""
        calls = []
        for _ in range(TICKETS + 1):  # bounded: a counter cannot get more than every ticket
            start = time.perf_counter()
            with any_db.transaction() as s:
                ticket, _ = calling.call_next(s, cfg, clock, STAFF, "hall", i + 1)
                ticket_id = ticket.id if ticket is not None else None
            calls.append((start, time.perf_counter(), ticket_id))
            if len(calls) == 1:
                first_claims.wait(timeout=JOIN_TIMEOUT_S)
            if ticket_id is None:
                break
        return calls

    results, errors = run_threads(COUNTERS, counter_loop)
    assert not errors, describe(errors)

    # A false "nothing waits": a counter's empty answer committed at `end`, yet a ticket was
    # claimed by a call that began after `end`. That ticket was waiting during the whole empty
    # call and no other call held it (its claimer had not begun), so it should have been found.
    # (Skipping a ticket that another counter is claiming at that moment is right, not false.)
    claims = [(start, tid) for calls in results for start, _, tid in calls if tid is not None]
    false_empty = {}
    for counter, calls in enumerate(results, start=1):
        empty_ends = [end for _, end, tid in calls if tid is None]
        assert len(empty_ends) == 1 and calls[-1][2] is None, f"counter {counter}: {calls[-3:]}"
        later = [tid for start, tid in claims if start > empty_ends[0]]
        if later:
            false_empty[counter] = len(later)
    assert not false_empty, (
        f"counters answered 'nothing waits' while tickets waited (counter: tickets claimed by "
        f"calls that began after that answer): {false_empty}"
    )

    claimed = [tid for _, tid in claims]
    twice = [tid for tid, n in Counter(claimed).items() if n > 1]
    assert not twice, f"{len(twice)} tickets called by two counters, e.g. {twice[:5]}"
    assert set(claimed) == all_ids, f"{len(all_ids - set(claimed))} tickets never called"
    assert len(claimed) == TICKETS

    with any_db.read() as s:
        statuses = Counter(s.scalars(select(Ticket.status)))
        calls = Counter(
            s.scalars(select(TicketEvent.ticket_id).where(TicketEvent.kind == "called"))
        )
        by_counter = {tid: n for tid, n in s.execute(select(Ticket.id, Ticket.counter))}
    # The final, empty call-next of each counter closed its last ticket as done, so all are done,
    # each with exactly one "called" event in its history, at the counter that claimed it.
    assert statuses == {"done": TICKETS}
    assert set(calls) == all_ids and set(calls.values()) == {1}
    for counter, calls_of_counter in enumerate(results, start=1):
        assert {by_counter[tid] for _, _, tid in calls_of_counter if tid} <= {counter}
    # The load really was shared (the barrier above sees to it).
    assert all(any(tid for _, _, tid in calls_of_counter) for calls_of_counter in results)


@pytest.mark.postgres
def test_claim_skips_a_ticket_another_counter_holds(
    pg_url: str, eight_counters: Config, clock: FixedClock
) -> None:
    """PostgreSQL: a counter is not held up by a ticket another counter is claiming right now
    (``FOR UPDATE SKIP LOCKED``): it takes the next ticket at once instead of waiting."""
    db = Database(pg_url)
    try:
        Base.metadata.create_all(db.engine)
        with db.transaction() as s:
            first, _ = issue_ticket(s, eight_counters, clock, KIOSK, site="hall", service="cert")
            second, _ = issue_ticket(s, eight_counters, clock, KIOSK, site="hall", service="cert")
        with db.transaction() as holder:
            # Counter 1 in the middle of its claim: the first ticket's row is locked.
            holder.execute(select(Ticket.id).where(Ticket.id == first.id).with_for_update())
            with db.transaction() as s:
                s.execute(text("SET LOCAL lock_timeout = '3s'"))  # waiting would fail here
                ticket, _ = calling.call_next(s, eight_counters, clock, STAFF, "hall", 2)
                got = ticket.id if ticket else None
        assert got == second.id
        with db.transaction() as s:  # once released, the skipped ticket is still there
            ticket, _ = calling.call_next(s, eight_counters, clock, STAFF, "hall", 1)
            assert ticket is not None and ticket.id == first.id
    finally:
        db.dispose()


# --- idempotency through a real server ---------------------------------------------------------

servers = serverproc.fixture()


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_same_idempotency_key_at_once_gives_one_ticket(
    backend: str, servers: serverproc.Servers, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    srv = servers.start(tmp_path / "server", database_url=url, wait=False)
    kiosk = srv.device_token("kiosk-1", kind="kiosk")
    srv.wait_ready()
    body = {"site": "hall", "service": "cert"}
    headers = {"Idempotency-Key": "double-tap-7f3a"}
    conns = [srv.connection() for _ in range(8)]
    try:
        for conn in conns:  # connect before the barrier so that the requests overlap
            conn.connect()
        answers, errors = run_threads(
            8, lambda i: serverproc.call(conns[i], "POST", "/api/v1/tickets", kiosk, body, headers)
        )
    finally:
        for conn in conns:
            conn.close()
    assert not errors, describe(errors)
    statuses = Counter(status for status, _ in answers)
    assert statuses == {201: 1, 200: 7}, f"answers: {dict(statuses)} {answers[:2]}"
    assert {a["id"] for _, a in answers} == {answers[0][1]["id"]}
    assert {a["number"] for _, a in answers} == {"A001"}

    # Only one ticket was made and the racing requests left no trace in the numbering.
    status, nxt = srv.request("POST", "/api/v1/tickets", kiosk, body)
    assert (status, nxt["number"]) == (201, "A002")
    status, again = srv.request("POST", "/api/v1/tickets", kiosk, body, headers)
    assert (status, again["id"]) == (200, answers[0][1]["id"])
