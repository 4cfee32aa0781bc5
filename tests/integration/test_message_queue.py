"""The message queue between server processes (Redis): what one process emits reaches the
others whole and in order, and a burst of emits shares round trips instead of each waiting for
its own."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import redis
import redis.connection
import socketio

from kiosk.realtime.queue import QueueManager

URL = "redis://127.0.0.1:6379/0"
pytestmark = pytest.mark.redis


def test_a_burst_of_emits_arrives_in_order_in_few_round_trips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    channel = f"motcua-test-{uuid.uuid4().hex}"
    listener = redis.Redis.from_url(URL).pubsub()
    listener.subscribe(channel)
    assert listener.get_message(timeout=5)["type"] == "subscribe"
    manager = QueueManager(URL, channel, on_back=lambda: None)
    server = socketio.Server(client_manager=manager, async_mode="threading")
    writes = 0  # commands (or pipelines of them) sent to Redis: one round trip each
    send = redis.connection.AbstractConnection.send_packed_command

    def counted(conn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal writes
        writes += 1
        return send(conn, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    for n in range(300):
        server.emit("queue", {"n": n}, to="site:hall", namespace="/live")
    received: list[int] = []
    deadline = time.monotonic() + 10
    while len(received) < 300 and time.monotonic() < deadline:
        message = listener.get_message(timeout=1)
        if message and message["type"] == "message":
            received.append(json.loads(message["data"])["data"][0]["n"])
    listener.close()
    assert received == list(range(300))
    assert writes < 30, f"{writes} round trips for 300 messages"
