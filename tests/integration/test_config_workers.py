"""Two server processes and Redis: a configuration change made through either process, or by
``motcua config import`` from outside, is taken up by both at once, and every connected
kiosk hears ``config``."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests import serverproc
from tests.integration.test_workers import _process_spread, _socket_owner

servers = serverproc.fixture()
WAIT_S = 10


class Kiosk:
    """A /live client that counts the ``config`` notices it hears."""

    def __init__(self, url: str, token: str) -> None:
        self.heard: list[Any] = []
        self.changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("config", self._config, namespace="/live")
        self.sio.connect(
            url,
            namespaces=["/live"],
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=WAIT_S,
        )

    def _config(self, body: Any) -> None:
        with self.changed:
            self.heard.append(body)
            self.changed.notify_all()

    def wait_for(self, count: int) -> list[Any]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.heard) >= count, WAIT_S)
            return list(self.heard)


def _spread(srv: serverproc.Server, token: str) -> list[Kiosk]:
    workers = srv.pids()[1:]
    kiosks: list[Kiosk] = []
    for _ in range(40):
        kiosks.append(Kiosk(srv.url, token))
        owners = {_socket_owner(k.sio.eio.ws.sock.getsockname()[1], workers) for k in kiosks}
        if len(owners - {None}) == 2:
            return kiosks
    raise AssertionError("the kiosks all landed on one worker process")


def _every_answer_lists(srv: serverproc.Server, code: str, present: bool) -> None:
    """Fresh connections (both processes answer them) all list ``code`` (or none does)."""

    def probe(_: int) -> bool:
        status, body = srv.request("GET", "/api/v1/sites/hall/services")
        assert status == 200
        return any(s["code"] == code for s in body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(probe, range(48)))
    assert answers == [present] * len(answers)


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_two_workers_take_up_a_change_at_once(
    servers: serverproc.Servers, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url") if database == "postgresql" else None
    srv = servers.start(
        tmp_path / "a",
        wait=False,
        database_url=url,
        message_queue="redis://127.0.0.1:6379/0",
        workers=2,
    )
    admin = srv.staff_token("boss", role="admin")
    kiosk_token = srv.device_token("kiosk-1", kind="kiosk")
    srv.wait_ready()
    assert len(_process_spread(srv)) == 2, "both worker processes answer"
    kiosks = _spread(srv, kiosk_token)
    try:
        status, body = srv.request(
            "POST",
            "/api/v1/sites/hall/services",
            admin,
            {"code": "land", "prefix": "C", "name": "Đất đai"},
        )
        assert status == 201, body
        _every_answer_lists(srv, "land", True)  # no wait: both processes have it already
        for k in kiosks:
            assert len(k.wait_for(1)) == 1  # each kiosk told once, whichever process holds it

        # A change from outside the servers: export, edit, import.
        out = tmp_path / "exported"
        srv.cli("config", "export", str(out))
        hall = out / "sites" / "hall.yaml"
        hall.write_text(
            hall.read_text(encoding="utf-8").replace("code: land", "code: lands"), encoding="utf-8"
        )
        srv.cli("config", "import", str(out))
        deadline = time.monotonic() + 3
        for k in kiosks:
            assert len(k.wait_for(2)) == 2
        assert time.monotonic() < deadline
        _every_answer_lists(srv, "lands", True)
    finally:
        for k in kiosks:
            k.sio.disconnect()
