"""Phones following a ticket hear that their queue moved: every one of them, through a real
server (each process tells its own phones, a slice at a time: ``kiosk.realtime.publisher``)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import socketio

from tests import serverproc

servers = serverproc.fixture()
PHONES = 60


@pytest.mark.slow
def test_every_phone_hears_the_queue_moved(servers: serverproc.Servers, tmp_path: Path) -> None:
    srv = servers.start(tmp_path / "a")
    token = srv.staff_token("anna")
    body = {"site": "hall", "service": "cert"}
    status, ticket = srv.request("POST", "/api/v1/tickets", token, body)
    assert status == 201
    heard = [threading.Event() for _ in range(PHONES)]
    phones = []
    try:
        for n in range(PHONES):
            phone = socketio.Client(reconnection=False)
            phone.on("queue", lambda _body, n=n: heard[n].set(), namespace="/live")
            phone.connect(
                srv.url,
                namespaces=["/live"],
                auth={"track": ticket["code"]},
                transports=["websocket"],
            )
            phones.append(phone)
        assert srv.request("POST", "/api/v1/tickets", token, body)[0] == 201
        deadline = time.monotonic() + 5
        deaf = [n for n, event in enumerate(heard) if not event.wait(deadline - time.monotonic())]
        assert not deaf, f"{len(deaf)} of {PHONES} phones were not told"
    finally:
        for phone in phones:
            phone.disconnect()
            phone.shutdown()
