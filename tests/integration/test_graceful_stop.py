"""Stopping ``motcua serve`` (SIGTERM, as systemd does) with displays attached.

Every open WebSocket is a request that never ends by itself; the server closes them when told
to stop, so a restart does not wait out gunicorn's graceful timeout (10 s) and the displays
reconnect to the new process straight away.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import socketio

from tests import serverproc

servers = serverproc.fixture()


@pytest.mark.slow
def test_sigterm_closes_display_sockets_and_stops_promptly(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    srv = servers.start(tmp_path / "a", wait=False)
    token = srv.device_token("tv", kind="display", display=1)
    srv.wait_ready()
    gone = threading.Event()
    clients = []
    for _ in range(3):
        sio = socketio.Client(reconnection=False)
        sio.on("disconnect", lambda *_: gone.set(), namespace="/display")
        sio.connect(
            f"http://127.0.0.1:{srv.port}",
            namespaces=["/display"],
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=10,
        )
        clients.append(sio)
    # websocket-client leaves its socket open when the server ends the connection: closed below.
    sockets = [sio.eio.ws for sio in clients]
    try:
        started = time.monotonic()
        srv.stop(grace=30)  # SIGTERM; SIGKILL only if it is still there after 30 s
        took = time.monotonic() - started
        # gunicorn's graceful timeout is 10 s: an attached display must not hold the stop.
        assert took < 6, f"stopping took {took:.1f} s"
        assert gone.wait(5), "the displays were not disconnected"
    finally:
        for sio in clients:
            sio.disconnect()
            sio.shutdown()
        for ws in sockets:
            ws.shutdown()
