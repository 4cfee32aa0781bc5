"""``kill -9`` of the server under load loses no acknowledged ticket and reuses no number.

Four clients issue tickets over kept-alive HTTP connections; when enough have been answered
201, the whole server (gunicorn master and worker) is killed with SIGKILL, then started again
on the same database. Every acknowledged ticket must still be there with its number, numbering
must go on after the last committed number (no reuse, no gap), and the database must be sound.
"""

from __future__ import annotations

import http.client
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kiosk.db import Database
from kiosk.models import Ticket, TicketEvent, TicketNumber
from tests import serverproc

servers = serverproc.fixture()

CLIENTS = 4
KILL_AFTER = 120  # acknowledged tickets before the kill
MAX_PER_CLIENT = 2000  # bound on each client's loop
LOAD_TIMEOUT_S = 30
AFTER_RESTART = 10  # tickets per service issued after the restart
PREFIX = {"cert": "A", "civil": "B"}


def load_until_killed(srv: serverproc.Server, token: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Issue tickets from CLIENTS threads, kill -9 the server mid-load; return the tickets
    acknowledged with 201 and how each client's loop ended."""
    acked: list[dict[str, Any]] = []
    lock = threading.Lock()
    endings = [""] * CLIENTS

    def client(i: int) -> None:
        service = ("cert", "civil")[i % 2]
        conn = srv.connection(timeout=10)
        try:
            for _ in range(MAX_PER_CLIENT):
                try:
                    status, body = serverproc.call(
                        conn, "POST", "/api/v1/tickets", token, {"site": "hall", "service": service}
                    )
                except (OSError, http.client.HTTPException) as exc:
                    endings[i] = f"cut: {type(exc).__name__}"
                    return
                if status != 201:
                    endings[i] = f"status {status}: {body}"
                    return
                with lock:
                    acked.append(body)
            endings[i] = "finished before the kill"
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while (
        len(acked) < KILL_AFTER
        and time.monotonic() < deadline
        and any(t.is_alive() for t in threads)
    ):
        time.sleep(0.005)
    srv.kill()
    for t in threads:
        t.join(LOAD_TIMEOUT_S)
    assert not any(t.is_alive() for t in threads), "a client is stuck after the kill"
    return acked, endings


def check_database(url: str) -> dict[str, list[tuple[int, str]]]:
    """Per service, the (seq, number) of every stored ticket; checks the numbering is sound."""
    db = Database(url)
    try:
        with db.read() as s:
            rows = s.execute(
                select(Ticket.service, Ticket.seq, Ticket.number, Ticket.id).order_by(
                    Ticket.service, Ticket.seq
                )
            ).all()
            last = {
                svc: n for svc, n in s.execute(select(TicketNumber.service, TicketNumber.last_seq))
            }
            issued_events = Counter(
                s.scalars(select(TicketEvent.ticket_id).where(TicketEvent.kind == "issued"))
            )
            orphans = s.scalar(
                select(func.count())
                .select_from(TicketEvent)
                .where(TicketEvent.ticket_id.not_in(select(Ticket.id)))
            )
    finally:
        db.dispose()
    stored: dict[str, list[tuple[int, str]]] = {}
    for service, seq, number, _ in rows:
        stored.setdefault(service, []).append((seq, number))
    for service, pairs in stored.items():
        seqs = [seq for seq, _ in pairs]
        # Unique and gap-free: the counter row and the tickets committed together.
        assert seqs == list(range(1, len(seqs) + 1)), f"{service}: {seqs}"
        assert [n for _, n in pairs] == [f"{PREFIX[service]}{q:03d}" for q in seqs]
        assert last.get(service) == len(seqs), f"{service}: counter row {last.get(service)}"
    # Each ticket's history starts with exactly one "issued" event; no event without a ticket.
    assert set(issued_events) == {tid for *_, tid in rows}
    assert set(issued_events.values()) == {1}
    assert orphans == 0
    return stored


def sqlite_integrity(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_kill_9_under_load_keeps_every_acknowledged_ticket(
    backend: str, servers: serverproc.Servers, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    srv = servers.start(tmp_path / "server", database_url=url, wait=False)
    staff = srv.staff_token("crash-staff")
    srv.wait_ready()

    acked, endings = load_until_killed(srv, staff)
    assert len(acked) >= KILL_AFTER, f"only {len(acked)} tickets before the timeout: {endings}"
    # The kill really happened mid-load: every client's connection was cut.
    assert all(e.startswith("cut") for e in endings), endings
    if backend == "sqlite":
        sqlite_integrity(srv.sqlite_path)  # as the crash left it (WAL not yet checkpointed)

    srv.start()  # the same port, instance folder and database
    conn = srv.connection()
    try:
        for ticket in acked:
            status, body = serverproc.call(conn, "GET", f"/api/v1/tickets/{ticket['id']}", staff)
            assert status == 200, (ticket, status, body)
            assert (body["number"], body["service"], body["code"]) == (
                ticket["number"],
                ticket["service"],
                ticket["code"],
            )
        stored_before = check_database(srv.database_url)
        after: list[dict[str, Any]] = []
        for service in ("cert", "civil") * AFTER_RESTART:
            status, body = serverproc.call(
                conn, "POST", "/api/v1/tickets", staff, {"site": "hall", "service": service}
            )
            assert status == 201, body
            after.append(body)
    finally:
        conn.close()
    srv.stop()

    numbers = [t["number"] for t in acked + after]
    assert len(set(numbers)) == len(numbers), "a number was handed out twice"
    stored = check_database(srv.database_url)
    for service in ("cert", "civil"):
        before = len(stored_before.get(service, []))
        new = [t["number"] for t in after if t["service"] == service]
        # Numbering continues right after the last committed ticket, acknowledged or not.
        assert new == [
            f"{PREFIX[service]}{q:03d}" for q in range(before + 1, before + 1 + AFTER_RESTART)
        ]
        assert len(stored[service]) == before + AFTER_RESTART
        highest_acked = max((t["number"] for t in acked if t["service"] == service), default=None)
        assert highest_acked is None or int(highest_acked[1:]) <= before
    if backend == "sqlite":
        sqlite_integrity(srv.sqlite_path)
