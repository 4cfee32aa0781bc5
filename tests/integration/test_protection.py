"""What one client can do to a real ``motcua serve``, and what it cannot.

* Engine.IO connections that join no Socket.IO namespace (none asked for, or the refused
  default namespace) are closed; the default namespace accepts nobody.
* A client address holds at most MOTCUA_CONNECTIONS_PER_ADDRESS connections; others are not
  slowed by it.
* Clients that send their headers slowly hold nothing but a greenlet, and only for a while.
* Behind trusted proxies the cap counts the real client (X-Forwarded-For), never otherwise.
* A worker may hold as many open files as its connections need, even when started with the
  soft limit of 1024 that systemd and shells give by default.
* A user disabled while their Socket.IO connection is open is disconnected at once.
* WebSockets are never compressed: a browser's offer of ``permessage-deflate`` is declined
  (a zlib compressor per connection doubled what an idle display costs).
"""

from __future__ import annotations

import json
import resource
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import socketio
from werkzeug.test import Client

from kiosk.guard import guard
from kiosk.server import FILES_HEADROOM
from kiosk.settings import Settings
from tests import serverproc

servers = serverproc.fixture()
ATTACKER = "127.0.0.2"  # another address on the loopback network


def _raw(port: int, source: str = ATTACKER) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    return sock


def _upgrade(
    port: int, source: str = ATTACKER, headers: bytes = b""
) -> tuple[socket.socket, bytes]:
    """An Engine.IO WebSocket opened by hand; returns the socket and the response head
    (with whatever of the first frames came along)."""
    sock = _raw(port, source)
    sock.sendall(
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + headers
        + b"\r\n"
    )
    return sock, serverproc.read_head(sock)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(0.5)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def _timed_get(srv: serverproc.Server, path: str = "/api/v1/sites") -> float:
    started = time.monotonic()
    status, _ = srv.request("GET", path, timeout=5)
    assert status == 200
    return time.monotonic() - started


@pytest.mark.slow
def test_bare_and_default_namespace_sockets_are_closed(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    srv = servers.start(tmp_path / "a")
    bare, head = _upgrade(srv.port)
    assert head.startswith(b"HTTP/1.1 101")
    # The default namespace is refused, and the refused socket does not stay.
    refused = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect(srv.url, namespaces=["/"], transports=["websocket"], wait_timeout=5)
    refused.shutdown()
    assert _closed_within(bare, 15), "an Engine.IO socket in no namespace stayed open"
    bare.close()


@pytest.mark.slow
def test_websockets_are_not_compressed(servers: serverproc.Servers, tmp_path: Path) -> None:
    srv = servers.start(tmp_path / "a")
    # What Chromium offers on every WebSocket.
    offer = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    sock, received = _upgrade(srv.port, "127.0.0.1", offer)
    try:
        head, _, frames = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101")
        assert b"sec-websocket-extensions" not in head.lower()
        sock.settimeout(5)
        while len(frames) < 2 or len(frames) < 2 + (frames[1] & 0x7F):
            frames += sock.recv(4096)
        # The Engine.IO opening frame: final text frame, RSV1 (compressed) clear, readable.
        assert frames[0] == 0x81
        opening = frames[2 : 2 + (frames[1] & 0x7F)].decode()
        assert opening.startswith("0") and "pingInterval" in json.loads(opening[1:])
    finally:
        sock.close()


def test_the_guard_drops_the_extension_offer() -> None:
    seen: list[str | None] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS"))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b""]

    r = Client(guard(app, trusted_proxies=0, per_address=5, gevent=False)).get(
        "/socket.io/", headers={"Sec-WebSocket-Extensions": "permessage-deflate"}
    )
    assert r.status_code == 200
    assert seen == [None]


@pytest.mark.slow
def test_connection_cap_per_address_and_slow_headers(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    srv = servers.start(tmp_path / "a", env={"MOTCUA_CONNECTIONS_PER_ADDRESS": "5"})
    quiet = min(_timed_get(srv) for _ in range(5))
    held = []
    try:
        for _ in range(5):
            sock, head = _upgrade(srv.port)
            assert head.startswith(b"HTTP/1.1 101"), head
            held.append(sock)
        sock, head = _upgrade(srv.port)
        held.append(sock)
        assert head.startswith(b"HTTP/1.1 429"), head
        # 100 clients sending their headers a byte at a time, from the same address.
        slow = []
        for _ in range(100):
            s = _raw(srv.port)
            s.sendall(b"GET /api/v1/sites HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        held += slow
        worst = max(_timed_get(srv) for _ in range(20))
        assert worst < max(0.5, 20 * quiet), f"others were slowed: {worst:.3f} s"
        # The slow ones are dropped once the header timeout passes.
        assert all(_closed_within(s, 20) for s in slow[:5])
    finally:
        for s in held:
            s.close()


def _get(app: Any, forwarded: str) -> Any:
    """A request from the proxy at 127.0.0.1 on behalf of ``forwarded``."""
    return Client(app).get(
        "/", headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )


def _open_files_limit(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no open-files line")


def test_workers_may_open_as_many_files_as_their_connections_need(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    srv = serverproc.Server(tmp_path / "server")
    servers.started.append(srv)  # stopped at the end of the test
    srv.init_db()
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))  # as systemd starts a service
    try:
        srv.launch()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    srv.wait_ready()
    needed = Settings.from_env().max_connections + FILES_HEADROOM
    expected = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    assert expected > 1024
    workers = srv.pids()[1:]
    assert workers, "no gunicorn worker"
    for pid in workers:
        assert _open_files_limit(pid) == expected
    if expected < needed:
        assert "open files limited to" in srv.log_tail(), srv.log_tail()


def test_cap_counts_the_client_behind_trusted_proxies() -> None:
    release = threading.Event()

    def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["REMOTE_ADDR"].encode()]

    def run(app: Any, forwarded: str, out: list[Any]) -> threading.Thread:
        def go() -> None:
            r = _get(app, forwarded)
            out.append((r.status_code, r.get_data(as_text=True)))

        t = threading.Thread(target=go)
        t.start()
        return t

    trusted = guard(slow_app, trusted_proxies=1, per_address=1, gevent=False)
    out: list[Any] = []
    first = run(trusted, "10.0.0.1", out)
    time.sleep(0.2)
    # Another client behind the same proxy has its own allowance; the same one does not.
    other = run(trusted, "10.0.0.2", out)
    time.sleep(0.2)
    r = _get(trusted, "10.0.0.1")
    assert r.status_code == 429
    release.set()
    first.join(5)
    other.join(5)
    assert sorted(out) == [(200, "10.0.0.1"), (200, "10.0.0.2")]

    # Not trusted: the header is ignored, the proxy's own address is the client.
    release.clear()
    untrusted = guard(slow_app, trusted_proxies=0, per_address=1, gevent=False)
    out = []
    first = run(untrusted, "10.0.0.1", out)
    time.sleep(0.2)
    r = _get(untrusted, "10.0.0.2")
    assert r.status_code == 429
    release.set()
    first.join(5)
    assert out[0][1] == "127.0.0.1"


@pytest.mark.slow
def test_disabled_user_socket_is_closed_at_once(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    srv = servers.start(tmp_path / "a", wait=False)
    token = srv.staff_token("anna")
    srv.wait_ready()
    gone = threading.Event()
    client = socketio.Client(reconnection=False)
    client.on("disconnect", lambda *_: gone.set(), namespace="/live")
    client.connect(srv.url, namespaces=["/live"], auth={"token": token}, transports=["websocket"])
    try:
        time.sleep(0.5)
        assert not gone.is_set()
        srv.cli("user", "disable", "anna")  # committed when the command returns
        assert gone.wait(2), "the disabled user's socket stayed open"
    finally:
        client.disconnect()
        client.shutdown()


def test_a_client_that_stops_answering_pings_is_closed_by_the_sweep(client: Any) -> None:
    """Engine.IO's per-connection monitor is off (it woke every 20 s / N to check one
    connection); the sweep checks every connection's heartbeat in one pass instead. A
    long-polling client that stops polling is noticed only there."""
    realtime = client.application.extensions["motcua"].realtime
    eio = realtime.socketio.server.eio
    opened = client.get("/socket.io/?EIO=4&transport=polling")
    assert opened.status_code == 200
    sid = json.loads(opened.get_data(as_text=True)[1:])["sid"]
    sock = eio.sockets[sid]
    realtime._check_heartbeats()
    assert not sock.closed, "a connection that answered its pings was closed"
    sock.last_ping = time.time() - eio.ping_timeout - 1  # pinged, never answered
    realtime._check_heartbeats()
    assert sock.closed
    realtime._check_heartbeats()
    assert sid not in eio.sockets
    assert eio.service_task_handle is None, "Engine.IO's own monitor started"
