"""Two ``motcua serve`` processes on one PostgreSQL database reach each other's displays
through Redis (``MOTCUA_MESSAGE_QUEUE``).

A hall display connected to process B hears a call made on process A, with ``event_id`` one
more than in the ``state`` snapshot it got on connecting.

Redis Pub/Sub ignores the database number, so two runs of this test (or a test and a server)
on one Redis would hear each other: the configuration used here has a random display id, so
that its room name is this run's own.
"""

from __future__ import annotations

import queue
import random
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests import serverproc

servers = serverproc.fixture()
WAIT_S = 10


class DisplayClient:
    """A python-socketio client on namespace /display that queues what it receives."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for name in ("state", "called"):
            self.sio.on(name, self._keep(name), namespace="/display")

    def _keep(self, name: str) -> Any:
        return lambda data: self.events.put((name, data))

    def connect(self, url: str, token: str) -> None:
        self.sio.connect(url, namespaces=["/display"], auth={"token": token}, wait_timeout=WAIT_S)

    def next(self, name: str) -> Any:
        """The next event, which must be ``name`` (``queue`` events are not listened to)."""
        got, data = self.events.get(timeout=WAIT_S)
        assert got == name, (got, data)
        return data

    def close(self) -> None:
        self.sio.disconnect()
        self.sio.shutdown()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_call_on_a_reaches_display_on_b(
    servers: serverproc.Servers, tmp_path: Path, pg_url: str
) -> None:
    display_id = random.randrange(1000, 10**9)
    config = serverproc.write_config(tmp_path / "config", display_id=display_id)
    shared = {
        "config": config,
        "database_url": pg_url,
        "message_queue": f"redis://127.0.0.1:6379/{random.randrange(1, 16)}",
        "secret_key": "multiprocess-test",
        "channel": f"test-{random.randrange(10**12)}",
    }
    a = servers.start(tmp_path / "a", wait=False, **shared)
    b = servers.start(tmp_path / "b", init_db=False, wait=False, **shared)
    staff = a.staff_token("anna")
    screen = b.device_token("hall-screen", kind="display", display=display_id)
    a.wait_ready()
    b.wait_ready()
    for srv in (a, b):
        _, health = srv.request("GET", "/healthz")
        assert health["message_queue"]["ok"] and health["message_queue"]["kind"] == "redis"

    status, issued = a.request(
        "POST", "/api/v1/tickets", staff, {"site": "hall", "service": "cert"}
    )
    assert status == 201
    status, second = b.request(
        "POST", "/api/v1/tickets", staff, {"site": "hall", "service": "cert"}
    )
    assert status == 201

    client = DisplayClient()
    try:
        client.connect(b.url, screen)
        state = client.next("state")
        first = state["event_id"]
        assert state["now_serving"] == []

        status, called = a.request("POST", "/api/v1/counters/hall/1/call-next", staff)
        assert status == 200 and called["number"] == issued["number"]
        event = client.next("called")
        assert event["event_id"] == first + 1
        assert (event["number"], event["counter"], event["site"], event["recall"]) == (
            issued["number"],
            1,
            "hall",
            False,
        )

        # And the other way round: a recall on B, then a call on A, keep counting by one.
        status, _ = b.request("POST", f"/api/v1/tickets/{issued['id']}/recall", staff)
        assert status == 200
        event = client.next("called")
        assert (event["event_id"], event["number"], event["recall"]) == (
            first + 2,
            issued["number"],
            True,
        )
        status, called = a.request("POST", "/api/v1/counters/hall/2/call-next", staff)
        assert status == 200 and called["number"] == second["number"]
        event = client.next("called")
        assert (event["event_id"], event["number"], event["counter"]) == (
            first + 3,
            second["number"],
            2,
        )
        assert client.events.empty()
    finally:
        client.close()
