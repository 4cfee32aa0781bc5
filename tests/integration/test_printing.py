"""The print queue end to end in one process: kiosk ticket → job → worker → printer, with
faults. Issuing never waits for or fails with the printer; no job is lost; reprint works."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import ImageChops
from sqlalchemy import select

from kiosk.domain import printjobs
from kiosk.models import PrintJob, TicketEvent
from kiosk.printing.worker import PrintWorker
from printer.spec import parse_printer_uri
from printer.transports import DummyTransport, open_transport
from tests import escpos_decode
from tests.conftest import CAST, Actions


@pytest.fixture
def printing_app(tmp_path: Path, clock: Any) -> Any:
    """The cast with every kiosk printing to a spool folder (``MOTCUA_PRINTER``)."""
    from kiosk import create_app
    from kiosk.dbsetup import load_config, upgrade

    app = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(CAST),
            "database_url": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "secret_key": "x",
            "public_url": "http://motcua.test",
            "printer": f"spool:{tmp_path / 'spool'}",
            "clock": clock,
            "testing": True,
        }
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    load_config(m.db, m.config)
    yield app
    m.db.dispose()


@pytest.fixture
def pa(printing_app: Any) -> Actions:
    return Actions(printing_app, printing_app.test_client())


def worker(app: Any, transport: Any) -> PrintWorker:
    m = app.extensions["motcua"]
    return PrintWorker(
        m,
        None,
        transport.spec,
        publish=m.publisher.publish,
        default_base="http://motcua.test",
        transport=transport,
    )


def ticket(pa: Actions, token: str, tid: int) -> dict[str, Any]:
    return pa.client.get(f"/api/v1/tickets/{tid}", headers=pa.auth(token)).get_json()


def history(app: Any, tid: int) -> list[str]:
    with app.extensions["motcua"].db.read() as s:
        return list(
            s.scalars(
                select(TicketEvent.kind)
                .where(TicketEvent.ticket_id == tid)
                .order_by(TicketEvent.id)
            )
        )


def test_kiosk_ticket_is_queued_then_printed_exactly(
    pa: Actions, printing_app: Any, tmp_path: Path
) -> None:
    kiosk = pa.device("kiosk-1", "kiosk")
    staff = pa.user()
    t = pa.issue(kiosk).get_json()
    assert t["print"] == {"status": "queued"}
    assert pa.issue(staff).get_json()["print"] == {"status": "none"}  # staff tickets don't print
    spool = open_transport(parse_printer_uri(f"spool:{tmp_path / 'spool'}"))
    w = worker(printing_app, spool)
    assert w.run_once() is True
    assert w.run_once() is False
    assert ticket(pa, kiosk, t["id"])["print"] == {"status": "printed"}
    files = sorted((tmp_path / "spool").iterdir())
    assert len(files) == 1
    data = files[0].read_bytes()
    # GET …/escpos gives exactly the bytes that were printed.
    escpos = pa.client.get(f"/api/v1/tickets/{t['id']}/escpos", headers=pa.auth(kiosk))
    assert escpos.mimetype == "application/octet-stream" and escpos.data == data
    # The bytes decode to the same picture as the preview, whose QR is the tracking URL.
    printed = escpos_decode.stacked_image(escpos_decode.decode(data), 576)
    png = pa.client.get(f"/api/v1/tickets/{t['id']}/preview.png", headers=pa.auth(kiosk))
    assert png.mimetype == "image/png"
    from io import BytesIO

    from PIL import Image

    preview = Image.open(BytesIO(png.data)).convert("1")
    assert printed.size == preview.size
    assert ImageChops.difference(printed.convert("1"), preview).getbbox() is None
    if shutil.which("zbarimg"):
        path = tmp_path / "decoded.png"
        printed.convert("L").save(path)
        out = subprocess.run(
            ["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, timeout=20
        ).stdout.split()
        assert out == [t["track_url"]]
    assert history(printing_app, t["id"])[-1] == "printed"


def test_printer_refusing_connections(pa: Actions, printing_app: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    kiosk = pa.device("kiosk-1", "kiosk")
    resp = pa.issue(kiosk)
    assert resp.status_code == 201  # issuing never waits for the printer
    t = resp.get_json()
    w = worker(
        printing_app, open_transport(parse_printer_uri(f"network:127.0.0.1:{port}?timeout_s=1"))
    )
    w.run_once()
    assert ticket(pa, kiosk, t["id"])["print"] == {"status": "failed"}
    with printing_app.extensions["motcua"].db.read() as s:
        job = s.scalars(select(PrintJob)).one()
    assert (job.status, job.attempts) == ("queued", 1)  # retried with backoff meanwhile
    assert "print_failed" in history(printing_app, t["id"])


def test_printer_that_accepts_and_never_reads_times_out(printing_app: Any) -> None:
    """A jammed printer takes the connection, then nothing: the send must give up after the
    timeout, the job go back to the queue, and the worker stay alive. (Loopback buffers take
    about a megabyte first, so the job here is a long document, not a 40 KB ticket.)"""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        conn, _ = server.accept()
        accepted.append(conn)
        stop.wait(30)

    threading.Thread(target=hold, daemon=True).start()
    m = printing_app.extensions["motcua"]
    try:
        with m.db.transaction() as s:
            job_id, _ = printjobs.enqueue(
                s,
                "kiosk-1",
                m.clock.now(),
                kind="document",
                payload={
                    "title": "Danh mục giấy tờ",
                    "bullets": [f"Giấy tờ số {i}" for i in range(1500)],
                },
            )
        port = server.getsockname()[1]
        w = worker(
            printing_app, open_transport(parse_printer_uri(f"network:127.0.0.1:{port}?timeout_s=1"))
        )
        assert w.run_once() is True
        with m.db.read() as s:
            job = s.get(PrintJob, job_id)
            assert job is not None
            assert (job.status, job.attempts) == ("queued", 1)
            assert "timed out" in (job.last_error or "")
    finally:
        stop.set()
        for c in accepted:
            c.close()
        server.close()


def test_spool_folder_not_writable_then_reprint(
    pa: Actions, printing_app: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    kiosk = pa.device("kiosk-1", "kiosk")
    staff = pa.user()
    t = pa.issue(kiosk).get_json()
    bad = worker(printing_app, open_transport(parse_printer_uri(f"spool:{blocker}/jobs")))
    bad.run_once()
    assert ticket(pa, kiosk, t["id"])["print"] == {"status": "failed"}
    with printing_app.extensions["motcua"].db.read() as s:
        assert s.scalars(select(PrintJob.status)).one() == "failed"  # a permanent fault
    # Staff reprint once the printer is fixed.
    r = pa.client.post(f"/api/v1/tickets/{t['id']}/reprint", json={}, headers=pa.auth(staff))
    assert r.status_code == 200 and r.get_json()["print"] == {"status": "queued"}
    good = DummyTransport(parse_printer_uri("dummy"))
    worker(printing_app, good).run_once()
    assert ticket(pa, kiosk, t["id"])["print"] == {"status": "printed"}
    assert good.output.startswith(b"\x1b@")
    assert (
        pa.client.post(
            f"/api/v1/tickets/{t['id']}/reprint", json={}, headers=pa.auth(kiosk)
        ).status_code
        == 403
    )


def test_queued_jobs_survive_a_worker_restart_in_order(pa: Actions, printing_app: Any) -> None:
    kiosk = pa.device("kiosk-1", "kiosk")
    ids = [pa.issue(kiosk).get_json()["id"] for _ in range(3)]
    m = printing_app.extensions["motcua"]
    # A worker claimed the first job and died before finishing it.
    with m.db.transaction() as s:
        assert printjobs.claim_next(s, None, "dead-worker", m.clock.now()) is not None
    out = DummyTransport(parse_printer_uri("dummy"))
    w = worker(printing_app, out)
    assert w.run_once() is False  # the printer is still held by the claim on job 1
    m.clock.advance(seconds=61)  # the dead worker's claim is stale now
    claims = []
    while w.run_once():
        with m.db.read() as s:
            printed = select(PrintJob.id).where(PrintJob.payload.is_not(None)).order_by(PrintJob.id)
            claims.append(s.scalars(printed).all())
    with m.db.read() as s:
        jobs = s.scalars(select(PrintJob).order_by(PrintJob.id)).all()
    assert [j.status for j in jobs] == ["printed"] * 3
    assert [c[-1] for c in claims] == [j.id for j in jobs]  # in order, job 1 first
    assert [ticket(pa, kiosk, i)["print"]["status"] for i in ids] == ["printed"] * 3


def test_failure_past_the_retry_window_fails_the_job(pa: Actions, printing_app: Any) -> None:
    kiosk = pa.device("kiosk-1", "kiosk")
    pa.issue(kiosk)
    m = printing_app.extensions["motcua"]
    with m.db.transaction() as s:
        job = printjobs.claim_next(s, None, "w", m.clock.now())
        assert job is not None
    m.clock.advance(seconds=120)
    with m.db.transaction() as s:
        printjobs.finish(s, job.id, m.clock.now(), ok=False, error="offline")
    with m.db.read() as s:
        assert s.get(PrintJob, job.id).status == "failed"  # type: ignore[union-attr]


def test_agent_printer_jobs_go_to_the_agent(pa: Actions, printing_app: Any) -> None:
    """The agent endpoints: long-poll, result, status (the agent process itself is tested
    against a real server in test_print_agent.py)."""
    kiosk = pa.device("kiosk-1", "kiosk")
    agent = pa.device("kiosk-1-printer-agent", "printer")
    c = pa.client
    # With MOTCUA_PRINTER set every job is keyed by the kiosk name: this agent has none.
    assert c.get("/api/v1/print-jobs/next?wait=0", headers=pa.auth(agent)).status_code == 204
    assert c.get("/api/v1/print-jobs/next?wait=x", headers=pa.auth(agent)).status_code == 422
    assert c.get("/api/v1/print-jobs/next", headers=pa.auth(kiosk)).status_code == 403
    ok = c.post(
        "/api/v1/printers/status", json={"online": True, "paper": "ok"}, headers=pa.auth(agent)
    )
    assert ok.status_code == 200


def test_healthz_raises_a_printer_alarm_after_a_failure(
    pa: Actions, printing_app: Any, tmp_path: Path
) -> None:
    kiosk = pa.device("kiosk-1", "kiosk")
    pa.issue(kiosk)
    before = pa.client.get("/healthz").get_json()
    assert before["status"] == "ok"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    worker(printing_app, open_transport(parse_printer_uri(f"spool:{blocker}/x"))).run_once()
    body = pa.client.get("/healthz").get_json()
    assert body["status"] == "degraded"
    alarm = [p for p in body["printers"] if p["name"] == "kiosk-1"][0]
    assert alarm["ok"] is False and "recent_failures" in alarm["problems"]


class HungPrinter:
    """A TCP 'printer' that accepts connections and never reads, with a small receive buffer:
    a jammed printer, or one whose cover is open."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # inherited on accept
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = int(self.server.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)
        self.thread.start()

    def _hold(self) -> None:
        self.server.settimeout(0.05)
        while not self.stop.is_set():
            try:
                self.accepted.append(self.server.accept()[0])
            except TimeoutError:
                continue

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for conn in self.accepted:
            conn.close()
        self.server.close()


def test_hung_network_printer_is_never_reported_printed(pa: Actions, printing_app: Any) -> None:
    """A real ticket (~30 KB, which the operating system's socket buffers alone would take in
    at once) sent to a printer that accepts and never reads: not printed, retried, and the
    alarm is up on /healthz (which the counter console shows)."""
    hung = HungPrinter()
    try:
        kiosk = pa.device("kiosk-1", "kiosk")
        t = pa.issue(kiosk).get_json()
        uri = f"network:127.0.0.1:{hung.port}?timeout_s=1"
        w = worker(printing_app, open_transport(parse_printer_uri(uri)))
        started = time.monotonic()
        assert w.run_once() is True
        assert time.monotonic() - started < 10
        assert hung.accepted, "the printer took the connection"
        assert ticket(pa, kiosk, t["id"])["print"] == {"status": "failed"}
        with printing_app.extensions["motcua"].db.read() as s:
            job = s.scalars(select(PrintJob)).one()
            assert (job.status, job.attempts) == ("queued", 1)  # to be retried
            assert job.payload is None  # no "printed" bytes recorded
            assert "timed out" in (job.last_error or "")
        assert "printed" not in history(printing_app, t["id"])
        body = pa.client.get("/healthz").get_json()
        assert body["status"] == "degraded"
        alarm = [p for p in body["printers"] if p["name"] == "kiosk-1"][0]
        assert alarm["ok"] is False and alarm["state"] == "failing"
        assert "failing" in alarm["problems"] and "timed out" in alarm["last_error"]
    finally:
        hung.close()


def test_a_printer_never_used_is_unknown_not_an_alarm(
    pa: Actions, printing_app: Any, tmp_path: Path
) -> None:
    """A fresh installation: no job yet, the spool folder not made yet. The worker's status
    report must not call it offline, nor /healthz degraded."""
    m = printing_app.extensions["motcua"]
    spool = open_transport(parse_printer_uri(f"spool:{tmp_path / 'not-yet'}"))
    worker(printing_app, spool).run_once()  # idle: reports the printer's state
    body = pa.client.get("/healthz").get_json()
    assert body["status"] == "ok"
    for p in body["printers"]:
        assert (p["ok"], p["state"], p["problems"]) == (True, "unknown", [])
    with m.db.read() as s:
        from kiosk.models import PrinterStatus

        assert s.get(PrinterStatus, "*").status["online"] is None  # type: ignore[union-attr]


def test_a_busy_printer_gets_no_second_job_from_another_worker(
    pa: Actions, printing_app: Any
) -> None:
    """Several server processes each run a print worker: one printer still prints one job at a
    time, in order, while another printer's jobs go on."""
    m = printing_app.extensions["motcua"]
    with m.db.transaction() as s:
        first, _ = printjobs.enqueue(s, "kiosk-1", m.clock.now(), kind="document", payload={})
        second, _ = printjobs.enqueue(s, "kiosk-1", m.clock.now(), kind="document", payload={})
        other, _ = printjobs.enqueue(s, "kiosk-2", m.clock.now(), kind="document", payload={})
    with m.db.transaction() as s:
        assert printjobs.claim_next(s, None, "process-a", m.clock.now()).id == first  # type: ignore[union-attr]
    with m.db.transaction() as s:
        assert printjobs.claim_next(s, None, "process-b", m.clock.now()).id == other  # type: ignore[union-attr]
    with m.db.transaction() as s:
        assert printjobs.claim_next(s, {"kiosk-1"}, "process-b", m.clock.now()) is None
        printjobs.finish(s, first, m.clock.now(), ok=True)
    with m.db.transaction() as s:
        assert printjobs.claim_next(s, {"kiosk-1"}, "process-b", m.clock.now()).id == second  # type: ignore[union-attr]
