"""A request's body is received by the guard, within a time limit, before the application runs.

A client that sends its body slowly, or announces more than it sends, is answered 408 and
its connection closed once the limit passes; it never reaches the application, where a time
limit could only break the request (a 500 and a traceback in the log). A complete body,
however it was cut up on the way and whether its length was announced or chunked, reaches the
application whole.

The guard's own cases run in this process under gevent (its timers need no monkey-patching:
the slow client here waits with ``gevent.sleep``); the last cases go through a real server.
"""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder

from kiosk import guard as guard_module
from tests import serverproc

gevent = pytest.importorskip("gevent")
servers = serverproc.fixture()


class Trickle(io.RawIOBase):
    """A request body arriving ``step`` bytes at a time, ``pause`` seconds apart; after
    ``stall_after`` bytes nothing more ever comes."""

    def __init__(
        self, data: bytes, step: int, pause: float, stall_after: int | None = None
    ) -> None:
        self.data = data
        self.step = step
        self.pause = pause
        self.stall_after = stall_after
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        if self.stall_after is not None and self.sent >= self.stall_after:
            gevent.sleep(3600)
        gevent.sleep(self.pause)
        n = self.step if size < 0 else min(size, self.step)
        chunk = self.data[self.sent : self.sent + n]
        self.sent += len(chunk)
        return chunk


class Recorder:
    """A WSGI application that reads the whole body and says what it got."""

    def __init__(self) -> None:
        self.seen: list[tuple[str | None, bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        self.seen.append((environ.get("CONTENT_LENGTH"), body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def environ_for(body: Trickle, *, length: int | None, chunked: bool = False) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    env = EnvironBuilder(path="/api/v1/auth/token", method="POST", headers=headers).get_environ()
    env["wsgi.input"] = body
    env["CONTENT_LENGTH"] = "" if length is None else str(length)
    env["REMOTE_ADDR"] = "127.0.0.2"
    return env


def call(app: Any, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = status, dict(headers)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return answer["status"], answer["headers"], body


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Recorder]]:
    monkeypatch.setattr(guard_module, "BODY_DEADLINE_S", 0.5)
    recorder = Recorder()
    yield guard_module.guard(recorder, trusted_proxies=0, per_address=1, gevent=True), recorder


def test_a_body_that_never_completes_is_answered_408_and_the_app_never_runs(
    guarded: tuple[Any, Recorder],
) -> None:
    app, recorder = guarded
    body = json.dumps({"username": "a", "password": "b"}).encode()
    started = time.monotonic()
    status, headers, answer = call(
        app, environ_for(Trickle(body, 5, 0.01, stall_after=10), length=len(body))
    )
    assert time.monotonic() - started < 2
    assert status.startswith("408")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(answer)["error"]["code"] == "request_timeout"
    assert recorder.seen == []
    # The address's connection was given back: the cap of 1 lets the next request in.
    status, _, _ = call(app, environ_for(Trickle(body, 100, 0), length=len(body)))
    assert status == "200 OK"


def test_a_body_announced_longer_than_sent_is_answered_408(
    guarded: tuple[Any, Recorder],
) -> None:
    app, recorder = guarded
    status, _, _ = call(app, environ_for(Trickle(b"{", 1, 0, stall_after=1), length=10))
    assert status.startswith("408")
    assert recorder.seen == []


def test_a_body_in_pieces_reaches_the_app_whole(guarded: tuple[Any, Recorder]) -> None:
    app, recorder = guarded
    body = json.dumps({"answers": {f"q{n}": True for n in range(40)}}).encode()
    status, _, _ = call(app, environ_for(Trickle(body, 7, 0.002), length=len(body)))
    assert status == "200 OK"
    assert recorder.seen == [(str(len(body)), body)]


def test_a_chunked_body_reaches_the_app_with_its_length(guarded: tuple[Any, Recorder]) -> None:
    app, recorder = guarded
    body = b'{"site": "hall", "service": "hotro"}'
    status, _, _ = call(app, environ_for(Trickle(body, 8, 0.001), length=None, chunked=True))
    assert status == "200 OK"
    assert recorder.seen == [(str(len(body)), body)]


def test_an_oversized_chunked_body_is_not_received_past_the_limit(
    guarded: tuple[Any, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard_module, "MAX_BODY_BYTES", 100)
    app, recorder = guarded
    body = Trickle(b"x" * 10_000, 64, 0)
    status, _, _ = call(app, environ_for(body, length=None, chunked=True))
    assert status == "200 OK"
    # The app is told the length it would refuse (Flask: 413) and nothing more was read.
    length, _ = recorder.seen[0]
    assert length is not None and int(length) > 100
    assert body.sent <= 200


def _post_raw(port: int, head: bytes, pieces: list[bytes], pause: float) -> bytes:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(head)
        for piece in pieces:
            time.sleep(pause)
            sock.sendall(piece)
        return serverproc.read_head(sock)
    finally:
        sock.close()


@pytest.mark.slow
def test_slow_and_chunked_bodies_through_a_real_server(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    srv = servers.start(tmp_path / "a")
    body = json.dumps({"username": "nobody", "password": "wrong-password"}).encode()
    # Sent in three pieces over 0.6 s, its length announced: the login is refused as usual.
    answer = _post_raw(
        srv.port,
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n",
        [body[:10], body[10:20], body[20:]],
        0.2,
    )
    assert answer.startswith(b"HTTP/1.1 401"), answer
    # Chunked, as some clients send: the same answer.
    chunks = [body[:16], body[16:]]
    encoded = [f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks] + [b"0\r\n\r\n"]
    answer = _post_raw(
        srv.port,
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
        encoded,
        0.1,
    )
    assert answer.startswith(b"HTTP/1.1 401"), answer
    assert "Traceback" not in srv.log_tail(200)
