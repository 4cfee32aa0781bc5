"""``motcua serve``'s worker keeps serving a busy kept-alive connection on the thread that
answered it, and hands idle ones back to the poller: every request is answered, in order,
whether a client sends them back to back, pauses between them, or pipelines them."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from tests import serverproc

servers = serverproc.fixture()


def test_kept_alive_clients_busy_idle_and_pipelined(servers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = servers.start(tmp_path / "w", wait=False)
    token = srv.staff_token("anna")
    srv.wait_ready()
    numbers: list[str] = []
    failures: list[str] = []

    def client(pause: float) -> None:
        conn = srv.connection()
        try:
            for _ in range(40):
                status, body = serverproc.call(
                    conn, "POST", "/api/v1/tickets", token, {"site": "hall", "service": "cert"}
                )
                if status != 201:
                    failures.append(f"{status} {body}")
                    return
                numbers.append(body["number"])
                time.sleep(pause)  # 0: back to back; else idle past the worker's short wait
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(p,)) for p in (0, 0, 0.01, 0.05)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    assert len(numbers) == len(set(numbers)) == 160

    # Three requests in one write: each answered, in order, on the same connection.
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(request * 3)
        seen = b""
        deadline = time.monotonic() + 10
        while seen.count(b"HTTP/1.1 200") < 3 and time.monotonic() < deadline:
            seen += sock.recv(65536)
        assert seen.count(b"HTTP/1.1 200") == 3
        time.sleep(0.2)  # idle: back on the poller; the connection still works
        sock.sendall(request)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def _allowed_cpus(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(
        line.split(":", 1)[1].strip() for line in status.splitlines() if "Cpus_allowed_list" in line
    )


def test_worker_pinned_to_one_cpu_unless_off(servers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    if len(os.sched_getaffinity(0)) < 2:
        return  # nothing to pin on one CPU
    pinned = servers.start(tmp_path / "a")
    worker = max(pinned.pids())  # the master's child
    cpus = _allowed_cpus(worker)
    assert cpus.isdigit() and int(cpus) in os.sched_getaffinity(0), cpus
    assert _allowed_cpus(min(pinned.pids())) != cpus  # the master is left alone
    free = servers.start(tmp_path / "b", env={"MOTCUA_PIN_CPU": "off"})
    assert not _allowed_cpus(max(free.pids())).isdigit()


def test_pin_setting() -> None:
    import logging
    import os

    from kiosk.server import _pin_to_one_cpu

    log = logging.getLogger("test")
    before = os.sched_getaffinity(0)
    try:
        assert _pin_to_one_cpu("off", log) is None
        assert _pin_to_one_cpu("banana", log) is None
        assert os.sched_getaffinity(0) == before
        if len(before) >= 2:
            cpu = max(before)
            assert _pin_to_one_cpu(str(cpu), log) == cpu
            assert os.sched_getaffinity(0) == {cpu}
    finally:
        os.sched_setaffinity(0, before)
