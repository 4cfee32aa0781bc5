"""The black-box probe, rerun from outside against a real ``motcua serve`` (SQLite and
PostgreSQL): cross-site issuing, hostile input, sessions after logout, login throttling under
concurrency, the kiosk limit, a retried call-next, the Socket.IO origin check, file modes, and
no traceback in the server's log."""

from __future__ import annotations

import re
import stat
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from tests import serverproc

pytestmark = pytest.mark.slow
servers = serverproc.fixture()
PUBLIC = "http://motcua.example.vn"  # (https would make the session cookie Secure)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def srv(request: pytest.FixtureRequest, servers: Any, tmp_path: Path) -> serverproc.Server:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    server = servers.start(
        tmp_path / "probe", database_url=url, wait=False, env={"MOTCUA_PUBLIC_URL": PUBLIC}
    )
    server.cli("user", "add", "hallone", "--role", "supervisor", "--site", "hall",
               stdin=serverproc.PASSWORD + "\n")  # fmt: skip
    server.wait_ready()
    return server


def raw(srv: serverproc.Server, method: str, path: str, body: bytes = b"", **headers: str) -> int:
    conn = srv.connection()
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_probe(srv: serverproc.Server) -> None:
    hall = srv.user_token("hallone")
    admin = srv.staff_token("root", role="admin")
    kiosk = srv.device_token("kiosk-1", kind="kiosk")

    # Cross-site issue, priority included.
    for priority in (None, "elderly"):
        body = {"site": "annex", "service": "help", "priority": priority}
        assert srv.request("POST", "/api/v1/tickets", hall, body)[0] == 403
    status, ticket = srv.request(
        "POST", "/api/v1/tickets", admin, {"site": "hall", "service": "cert"}
    )
    assert status == 201

    # Hostile input: all 4xx.
    deep = b"[" * 5000 + b"]" * 5000
    json_type = {"Content-Type": "application/json"}
    for path in ("/api/v1/auth/token", f"/api/v1/track/{ticket['code']}/rating", "/api/v1/tickets"):
        assert 400 <= raw(srv, "POST", path, deep, **json_type) < 500, path
    nul = b'{"username":"a\\u0000","password":"b"}'
    assert 400 <= raw(srv, "POST", "/api/v1/auth/token", nul, **json_type) < 500
    for path in ("/api/v1/track/%00", f"/t/{ticket['code']}%00", "/api/v1/procedures?limit=%C2%B2"):
        assert 400 <= raw(srv, "GET", path) < 500, path
    big = 2**63
    bearer = {"Authorization": f"Bearer {admin}"}
    for path in (f"/api/v1/tickets/{big}", f"/api/v1/tickets/{big}/escpos"):
        assert 400 <= raw(srv, "GET", path, **bearer) < 500
    assert 400 <= raw(srv, "POST", f"/api/v1/tickets/{big}/done", **bearer) < 500
    huge = b'{"a":"' + b"x" * 300_000 + b'"}'
    assert raw(srv, "POST", "/api/v1/auth/token", huge, **json_type) == 413

    # The admin page with an out-of-range day; the login form with NUL.
    browser = requests.Session()
    csrf = form_csrf(browser, srv)
    form = {"username": "root", "password": serverproc.PASSWORD, "csrf_token": csrf}
    with_nul = browser.post(f"{srv.url}/login", data={**form, "username": "root\x00"})
    assert with_nul.status_code == 400
    assert browser.post(f"{srv.url}/login", data=form, allow_redirects=False).status_code == 302
    assert browser.get(f"{srv.url}/admin?day=9999-12-31").status_code < 500

    # Logout ends the session: a copy of the cookie no longer works.
    copied = browser.cookies.get("session")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(f"{srv.url}/admin").text)
    assert csrf is not None
    browser.post(f"{srv.url}/logout", data={"csrf_token": csrf.group(1)})
    thief = requests.Session()
    thief.cookies.set("session", copied)
    assert thief.get(f"{srv.url}/admin", allow_redirects=False).status_code == 302

    # Login throttling: exact under concurrency.
    srv.staff_token("anna")
    wrong = {"username": "anna", "password": "bad"}
    token = "/api/v1/auth/token"  # (a busy machine: argon2 takes seconds each)
    got = concurrently(8, 3, lambda: srv.request("POST", token, None, wrong, timeout=120)[0])
    assert got == {401: 10, 429: 14}

    # The kiosk limit, exact under concurrency.
    civil = {"site": "hall", "service": "civil"}
    got = concurrently(
        8, 5, lambda: srv.request("POST", "/api/v1/tickets", kiosk, civil, timeout=60)[0]
    )
    assert got == {201: 30, 429: 10}

    # A retried call-next does not close the citizen just called.
    url = "/api/v1/counters/hall/1/call-next"
    first = srv.request("POST", url, admin, {"current": None})[1]
    again = srv.request("POST", url, admin, {"current": None})[1]
    assert first["id"] == again["id"] and again["status"] == "called"

    # Socket.IO: a page of another origin is refused; ours and the public URL's are not.
    ws = f"ws://127.0.0.1:{srv.port}/socket.io/?EIO=4&transport=websocket"
    evil = ["Origin: https://evil.example"]
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(ws, header=evil, suppress_origin=True, timeout=5)
    for origin in (srv.url, PUBLIC, None):
        conn = websocket.create_connection(
            ws, header=[f"Origin: {origin}"] if origin else [], suppress_origin=True, timeout=5
        )
        assert conn.recv().startswith("0{")  # the Engine.IO open packet
        conn.close()

    # Socket.IO packets with hostile JSON: refused or ignored, never a traceback.
    conn = websocket.create_connection(ws, timeout=5)
    assert conn.recv().startswith("0{")
    n = 5000
    for packet in (
        "40/live," + '{"a":' * n + "1" + "}" * n,
        '40/live,{"track":"' + "\\u0000" * 20 + '"}',
        "40/display," + "[" * n + "]" * n,
        '40/display,{"display":' + "9" * 90 + "}",
    ):
        conn.send(packet)
        assert "refused" in conn.recv()
    conn.close()

    # Files and the log.
    if srv.database_url.startswith("sqlite"):
        for path in (srv.sqlite_path, Path(f"{srv.sqlite_path}-wal")):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((srv.instance / "secret_key").stat().st_mode) == 0o600
    assert srv.request("GET", "/healthz")[0] == 200
    log = srv.log_path.read_text(errors="replace")
    assert "Traceback" not in log, srv.log_tail(60)
    assert ticket["code"] not in log
    # The refused origin: one line in our format, a warning (the client's fault), not a raw
    # line of the library's own besides it.
    refused = [line for line in log.splitlines() if "is not an accepted origin" in line]
    assert refused and all("level=warning" in line for line in refused), refused


def form_csrf(session: requests.Session, srv: serverproc.Server) -> str:
    page = session.get(f"{srv.url}/login").text
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def concurrently(threads: int, each: int, job: Any) -> Counter[Any]:
    got: Counter[Any] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def run() -> None:
        start.wait()
        for _ in range(each):
            try:
                status = job()
            except Exception as exc:  # shown in the assertion, not lost in a thread
                status = repr(exc)
            with lock:
                got[status] += 1

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    return got
