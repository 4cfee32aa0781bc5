"""``motcua serve --workers N``: several processes on one port, sharing events through Redis.

* numbers stay unique and gap-free and no ticket is called twice, on SQLite (SQLite's own
  locking between the processes) and on PostgreSQL;
* every display hears every call in order, whichever process made it and whichever holds the
  display's socket;
* while Redis is down each process still serves its own displays, and once it is back every
  display catches up (the calls it missed, in order) within 5 s;
* phones hear that their queue moved whichever process holds them (each process tells its
  own phones, also of changes the other published).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests import serverproc

servers = serverproc.fixture()
WAIT_S = 10
ISSUERS = 8
PER_ISSUER = 40
COUNTERS = 4


class Display:
    """A display client that behaves as the display page does: it hears calls in event_id
    order (one that arrives ahead of an earlier one waits for it a moment), and on ``resync``
    or a gap that stays open asks for ``state`` since the last call it heard; what it learns,
    from ``called`` or from a snapshot's ``missed``, lands in ``heard`` in order."""

    REORDER_S = 0.4

    def __init__(self, url: str, token: str) -> None:
        self.heard: list[tuple[int, str]] = []  # (event_id, number)
        self.last: int | None = None
        self.resyncs = 0
        self.pending: dict[int, dict[str, Any]] = {}
        self.gap_timer: threading.Timer | None = None
        self.changed = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("state", self._state, namespace="/display")
        self.sio.on("called", self._called, namespace="/display")
        self.sio.on("resync", self._resync, namespace="/display")
        self.sio.connect(
            url,
            namespaces=["/display"],
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=WAIT_S,
        )

    def _state(self, state: dict[str, Any]) -> None:
        with self.changed:
            if self.last is None:
                self.last = state["event_id"]
            for ev in state.get("missed", []):
                self._hear(ev)
            self._flush()
            self.changed.notify_all()

    def _called(self, ev: dict[str, Any]) -> None:
        with self.changed:
            if self.last is not None and ev["event_id"] > self.last + 1:
                self.pending[ev["event_id"]] = ev
                if self.gap_timer is None:
                    self.gap_timer = threading.Timer(self.REORDER_S, self._gap_stayed)
                    self.gap_timer.start()
            else:
                self._hear(ev)
                self._flush()
            self.changed.notify_all()

    def _flush(self) -> None:
        for event_id in [i for i in self.pending if self.last is not None and i <= self.last]:
            del self.pending[event_id]
        while self.last is not None and self.last + 1 in self.pending:
            self._hear(self.pending.pop(self.last + 1))

    def _gap_stayed(self) -> None:
        with self.changed:
            self.gap_timer = None
            if self.pending:
                self._ask_state()

    def _resync(self, _data: Any) -> None:
        with self.changed:
            self.resyncs += 1
            self._ask_state()

    def _ask_state(self) -> None:
        """Ask for what was missed since the last event heard. A request that finds the
        connection gone (a resync arriving as the test closes it, or the server dropping it)
        is not needed: the server sends the state anew on every connect."""
        try:
            self.sio.emit("state", {"since": self.last}, namespace="/display")
        except socketio.exceptions.BadNamespaceError:
            pass

    def _hear(self, ev: dict[str, Any]) -> None:
        if self.last is not None and ev["event_id"] <= self.last:
            return
        self.heard.append((ev["event_id"], ev["number"]))
        self.last = ev["event_id"]

    def wait_for(self, count: int, timeout: float = WAIT_S) -> list[tuple[int, str]]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.heard) < count and time.monotonic() < deadline:
                self.changed.wait(0.1)
            return list(self.heard)

    def ready(self) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.last is not None, WAIT_S)

    def close(self) -> None:
        if self.gap_timer is not None:
            self.gap_timer.cancel()
        self.sio.disconnect()
        self.sio.shutdown()


def _socket_owner(local_port: int, pids: list[int]) -> int | None:
    """The process (of ``pids``) holding the server end of our TCP connection from
    ``local_port``: the socket inode from /proc/net/tcp, then the process's descriptors."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == local_port and fields[3] == "01":  # ESTABLISHED
            inode = fields[9]
            break
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if fd.readlink().name == target or str(fd.readlink()) == target:
                    return pid
            except OSError:
                continue
    return None


def spread_displays(srv: serverproc.Server, token: str, count: int) -> list[Display]:
    """``count`` display clients, connected again until both worker processes hold some."""
    workers = srv.pids()[1:]
    displays: list[Display] = []
    for _ in range(40):
        d = Display(srv.url, token)
        d.ready()
        displays.append(d)
        owners = {_socket_owner(x.sio.eio.ws.sock.getsockname()[1], workers) for x in displays}
        if len(displays) >= count and len(owners - {None}) == 2:
            return displays
        if len(displays) >= count:
            displays.pop(0).close()
    raise AssertionError("the displays all landed on one worker process")


def _process_spread(srv: serverproc.Server, workers: int = 2, rounds: int = 40) -> Counter[int]:
    """Which worker processes answer fresh connections (``/healthz`` says its pid).

    The kernel hands each connection to whichever process is waiting in accept(), so a burst of
    concurrent connections is sent until every worker has answered (or ``rounds`` bursts)."""
    seen: Counter[int] = Counter()

    def probe(_: int) -> int:
        status, body = srv.request("GET", "/healthz")
        assert status == 200
        return int(body["process"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(rounds):
            seen.update(pool.map(probe, range(16)))
            if len(seen) >= workers:
                break
    return seen


def _issue_and_call(srv: serverproc.Server, staff: str) -> tuple[list[dict[str, Any]], list[str]]:
    """ISSUERS threads issue PER_ISSUER tickets each (fresh connection each time, so both
    processes serve them), then COUNTERS threads call until the queue is empty."""
    issued: list[dict[str, Any]] = []
    called: list[str] = []
    errors: list[Any] = []
    lock = threading.Lock()

    def issuer() -> None:
        for _ in range(PER_ISSUER):
            status, body = srv.request(
                "POST", "/api/v1/tickets", staff, {"site": "hall", "service": "cert"}
            )
            with lock:
                (issued if status == 201 else errors).append(body if status == 201 else status)

    def counter(n: int) -> None:
        while True:
            status, body = srv.request("POST", f"/api/v1/counters/hall/{n}/call-next", staff)
            if status == 204:
                return
            with lock:
                if status == 200:
                    called.append(body["number"])
                else:
                    errors.append((status, body))
                    return

    for group in ([threading.Thread(target=issuer) for _ in range(ISSUERS)],):
        for t in group:
            t.start()
        for t in group:
            t.join(120)
    counters = [threading.Thread(target=counter, args=(n,)) for n in range(1, COUNTERS + 1)]
    for t in counters:
        t.start()
    for t in counters:
        t.join(120)
    assert not errors, errors[:5]
    return issued, called


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_two_workers_number_call_and_publish_as_one(
    servers: serverproc.Servers, tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url") if database == "postgresql" else None
    config = serverproc.write_config(tmp_path / "config", counters=COUNTERS)
    srv = servers.start(
        tmp_path / "a",
        wait=False,
        config=config,
        database_url=url,
        message_queue="redis://127.0.0.1:6379/0",
        workers=2,
    )
    staff = srv.staff_token("anna")
    screen = srv.device_token("hall-screen", kind="display", display=1)
    srv.wait_ready()
    assert len(_process_spread(srv)) == 2, "both worker processes answer"

    displays = spread_displays(srv, screen, 6)
    try:
        issued, called = _issue_and_call(srv, staff)
        total = ISSUERS * PER_ISSUER
        numbers = sorted(t["number"] for t in issued)
        assert numbers == [f"A{i:03d}" for i in range(1, total + 1)]  # unique, gap-free
        assert sorted(called) == numbers  # every ticket called, none twice
        for d in displays:
            heard = d.wait_for(total)
            assert len(heard) == total
            ids = [event_id for event_id, _ in heard]
            assert ids == list(range(ids[0], ids[0] + total))  # in order, none missing
            assert sorted(number for _, number in heard) == numbers
    finally:
        for d in displays:
            d.close()


@pytest.mark.redis
def test_phones_on_every_worker_hear_the_queue_moved(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    srv = servers.start(
        tmp_path / "a", wait=False, message_queue="redis://127.0.0.1:6379/0", workers=2
    )
    staff = srv.staff_token("anna")
    srv.wait_ready()
    body = {"site": "hall", "service": "cert"}
    status, ticket = srv.request("POST", "/api/v1/tickets", staff, body)
    assert status == 201
    workers = srv.pids()[1:]
    phones: list[tuple[socketio.Client, threading.Event, int | None]] = []
    try:
        for _ in range(40):
            heard = threading.Event()
            phone = socketio.Client(reconnection=False)
            phone.on("queue", lambda _body, heard=heard: heard.set(), namespace="/live")
            phone.connect(
                srv.url,
                namespaces=["/live"],
                auth={"track": ticket["code"]},
                transports=["websocket"],
            )
            owner = _socket_owner(phone.eio.ws.sock.getsockname()[1], workers)
            phones.append((phone, heard, owner))
            if len(phones) >= 6 and len({o for _, _, o in phones} - {None}) == 2:
                break
        assert len({o for _, _, o in phones} - {None}) == 2, "the phones all landed on one worker"
        # Every change, whichever process makes it, reaches the phones of both.
        for _ in range(4):
            for _, heard, _ in phones:
                heard.clear()
            assert srv.request("POST", "/api/v1/tickets", staff, body)[0] == 201
            deadline = time.monotonic() + 5
            deaf = [o for _, heard, o in phones if not heard.wait(deadline - time.monotonic())]
            assert not deaf, f"phones held by {deaf} were not told"
            time.sleep(1.1)  # past the notice's delay: the next change schedules a new one
    finally:
        for phone, _, _ in phones:
            phone.disconnect()
            phone.shutdown()


def test_workers_need_a_message_queue(tmp_path: Path) -> None:
    srv = serverproc.Server(tmp_path / "a")
    srv.init_db()
    done = subprocess.run(
        [*serverproc.CLI, "serve", "--port", str(serverproc.free_port()), "--workers", "2"],
        env=srv.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0
    assert "MOTCUA_MESSAGE_QUEUE" in done.stderr


class PrivateRedis:
    """A redis-server of this test's own, which it may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = serverproc.free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.mark.slow
@pytest.mark.redis
def test_displays_catch_up_after_a_redis_outage(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    redis_server = PrivateRedis(tmp_path / "redis")
    redis_server.start()
    try:
        config = serverproc.write_config(tmp_path / "config", counters=COUNTERS)
        srv = servers.start(
            tmp_path / "a",
            wait=False,
            config=config,
            message_queue=f"redis://127.0.0.1:{redis_server.port}/0",
            workers=2,
        )
        staff = srv.staff_token("anna")
        screen = srv.device_token("hall-screen", kind="display", display=1)
        srv.wait_ready()
        displays = spread_displays(srv, screen, 6)
        tickets = []
        for _ in range(6):
            status, body = srv.request(
                "POST", "/api/v1/tickets", staff, {"site": "hall", "service": "cert"}
            )
            assert status == 201
            tickets.append(body["number"])

        def call(counter: int) -> str:
            status, body = srv.request("POST", f"/api/v1/counters/hall/{counter}/call-next", staff)
            assert status == 200, body
            return str(body["number"])

        assert call(1) == tickets[0]
        for d in displays:
            assert [n for _, n in d.wait_for(1)] == tickets[:1]

        redis_server.stop()
        # Calls go on while the queue is down, through both processes.
        during = [call(1 + i % COUNTERS) for i in range(4)]
        assert during == tickets[1:5]
        time.sleep(1.0)
        redis_server.start()
        back = time.monotonic()
        for d in displays:
            heard = d.wait_for(5, timeout=5.0)
            assert [n for _, n in heard] == tickets[:5], f"caught up {heard} ({d.resyncs} resync)"
        assert time.monotonic() - back < 5.0
        # And the queue works again: a new call reaches everyone once.
        assert call(1) == tickets[5]
        for d in displays:
            assert [n for _, n in d.wait_for(6)] == tickets[:6]
        for d in displays:
            d.close()
    finally:
        redis_server.stop()
