"""``motcua backup`` under load, then ``motcua restore``, on SQLite and PostgreSQL.

A real server (with a year of history in its database, so that the copy takes a while) issues
tickets to two clients without a pause while ``motcua backup`` runs in its own process. The
backup must hold every ticket acknowledged before the command started, no ticket that was never
acknowledged, and none asked for after the command ended. ``motcua restore`` then refuses the
live database without ``--force``; with it (server stopped) the database is the backup again
and a server started on it goes on issuing.
"""

from __future__ import annotations

import http.client
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select

from kiosk.models import Ticket
from tests import serverproc

servers = serverproc.fixture()

HISTORY = 40_000  # tickets of past days
CLIENTS = 2
WARM_UP = 40  # tickets acknowledged before the backup starts


def add_history(url: str) -> None:
    """Past business days' tickets, as a year of use leaves them (done, numbered per day)."""
    engine = create_engine(url)
    first = date(2025, 1, 6)
    rows = []
    for i in range(HISTORY):
        day = first + timedelta(days=i // 400)
        at = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC) + timedelta(seconds=i % 400)
        rows.append(
            {
                "code": f"history{i:08d}",
                "site": "hall",
                "service": "cert",
                "origin_service": "cert",
                "business_day": day,
                "seq": i % 400 + 1,
                "number": f"A{i % 400 + 1:03d}",
                "status": "done",
                "issued_at": at,
                "order_at": at,
                "called_at": at + timedelta(minutes=5),
                "finished_at": at + timedelta(minutes=9),
                "counter": 1,
                "recalls": 0,
                "print_status": "none",
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Ticket), rows)
    engine.dispose()


def today_ticket_ids(url: str) -> set[int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = conn.execute(select(Ticket.id).where(~Ticket.code.startswith("history")))
            return {int(i) for i in ids.scalars()}
    finally:
        engine.dispose()


class Load:
    """CLIENTS threads issuing tickets over kept-alive connections until stopped; each ticket
    is kept with the monotonic times its request was sent and its 201 received."""

    def __init__(self, srv: serverproc.Server, token: str) -> None:
        self.srv, self.token = srv, token
        self.acked: list[tuple[float, float, int]] = []
        self.failures: list[str] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client, args=(i,)) for i in range(CLIENTS)]

    def client(self, i: int) -> None:
        service = ("cert", "civil")[i % 2]
        conn = self.srv.connection(timeout=10)
        try:
            while not self.stopping.is_set():
                sent = time.monotonic()
                try:
                    status, body = serverproc.call(
                        conn,
                        "POST",
                        "/api/v1/tickets",
                        self.token,
                        {"site": "hall", "service": service},
                    )
                except (OSError, http.client.HTTPException) as exc:
                    self.failures.append(f"client {i}: {exc!r}")
                    return
                if status != 201:
                    self.failures.append(f"client {i}: {status} {body}")
                    return
                with self.lock:
                    self.acked.append((sent, time.monotonic(), int(body["id"])))
        finally:
            conn.close()

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(15)

    def wait_for(self, n: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < n and not self.failures and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not self.failures, self.failures
        assert len(self.acked) >= n, f"only {len(self.acked)} tickets in {timeout} s"


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_backup_under_load_then_restore(
    servers: serverproc.Servers, tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    database_url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    config = serverproc.write_config(tmp_path / "config")
    srv = serverproc.Server(tmp_path / "live", config=config, database_url=database_url)
    servers.started.append(srv)
    srv.init_db()
    add_history(srv.database_url)
    token = srv.staff_token("anna")
    srv.start()
    folder = tmp_path / "backups"

    with Load(srv, token) as load:
        load.wait_for(WARM_UP)
        started = time.monotonic()
        out = srv.cli("backup", str(folder), "--keep", "3")
        ended = time.monotonic()
        load.wait_for(len(load.acked) + 20)
    assert not load.failures, load.failures

    (backup,) = sorted(folder.iterdir())
    assert out.startswith(f"backup {backup} (") and "tickets)" in out
    assert backup.stat().st_mode & 0o077 == 0, "a backup holds password hashes: owner only"
    during = [t for t in load.acked if t[1] > started and t[0] < ended]
    assert during, "no ticket was issued while the backup ran"

    # Refused while the database holds data, with one line and nothing changed.
    with pytest.raises(serverproc.ServerError) as refused:
        srv.cli("restore", str(backup))
    message = str(refused.value).split(": ", 1)[1]
    assert message.count("\n") == 0 and "--force" in message
    assert len(today_ticket_ids(srv.database_url)) == len(load.acked)

    srv.stop()
    out = srv.cli("restore", "--force", str(backup))
    assert out.startswith(f"restored {backup} into ")
    restored = today_ticket_ids(srv.database_url)
    acked = {t[2] for t in load.acked}
    before = {t[2] for t in load.acked if t[1] < started}
    after = {t[2] for t in load.acked if t[0] > ended}
    assert before <= restored, f"{len(before - restored)} acknowledged tickets lost"
    assert restored <= acked, "the backup holds tickets nobody was told about"
    assert not restored & after, "the backup holds tickets asked for after it ended"
    assert f"{len(restored) + HISTORY} tickets" in out

    # The restored database serves again: the next ticket continues its numbering.
    srv.start()
    status, body = srv.request(
        "POST", "/api/v1/tickets", token, {"site": "hall", "service": "cert"}
    )
    assert status == 201, body
    assert body["id"] not in restored
    assert srv.request("GET", "/healthz")[1]["database"]["ok"] is True


def test_restore_refuses_bad_files_in_one_line(tmp_path: Path) -> None:
    srv = serverproc.Server(tmp_path / "i")
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello", encoding="utf-8")
    for args, expected in [
        (("restore", str(tmp_path / "missing.sqlite3")), "no such file"),
        (("restore", str(not_a_backup)), "is not a motcua backup"),
        (("restore", str(tmp_path)), "is a folder"),
        (("backup", "--keep", "0"), "expected a whole number"),
    ]:
        with pytest.raises(serverproc.ServerError) as failed:
            srv.cli(*args)
        text = str(failed.value)
        assert expected in text and "Traceback" not in text, text


def test_retention_keeps_the_newest_and_recent_backups(tmp_path: Path) -> None:
    from kiosk import backup

    folder = tmp_path / "b"
    folder.mkdir()
    now = datetime(2026, 3, 10, 12, 0)
    names = []
    for days_ago in (40, 20, 10, 3, 1, 0):
        taken = now - timedelta(days=days_ago)
        name = folder / f"motcua-{taken:%Y%m%d-%H%M%S}.sqlite3"
        name.write_bytes(b"x")
        names.append(name)
    other = folder / "notes.sqlite3"
    other.write_bytes(b"keep me")

    assert backup.prune(folder, now) == []  # no rule, nothing deleted
    assert backup.prune(folder, now, keep_days=15) == names[:2]
    assert backup.prune(folder, now, keep=2, keep_days=5) == names[2:3]
    assert backup.prune(folder, now, keep=1) == names[3:5]
    assert sorted(folder.iterdir()) == sorted([names[5], other])
    # The newest backup stays even when every rule would drop it.
    assert backup.prune(folder, now + timedelta(days=365), keep_days=1) == []
