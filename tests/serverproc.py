"""Run a real ``motcua serve`` process for tests and benchmarks.

Everything goes through the real command line, as an operator would do it::

    with serverproc.running(tmp_path / "a") as srv:          # init-db, serve, wait for /healthz
        staff = srv.staff_token("anna")                      # motcua user add + token issue
        kiosk = srv.device_token("kiosk-1", kind="kiosk")    # motcua device add
        status, body = srv.request("POST", "/api/v1/tickets", staff,
                                   {"site": "hall", "service": "cert"})
        srv.kill()                                           # kill -9 (the whole process group)
        srv.start()                                          # restart on the same database

In a test module, make a fixture that stops every server it started::

    servers = serverproc.fixture()          # module attribute: pytest finds it by its name

    def test_something(servers, tmp_path):
        srv = servers.start(tmp_path / "a", database_url=pg_url)
        # or, to make tokens while the server boots (each CLI call takes a second):
        srv = servers.start(tmp_path / "b", wait=False)
        token = srv.staff_token("anna")
        srv.wait_ready()

A :class:`Server` owns one instance folder (secret key, SQLite file unless ``database_url`` is
given, and ``serve.log`` with the server's output). ``MOTCUA_*`` variables of the calling
environment are not passed on; the configuration defaults to ``tests/cast``. Only 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CAST = REPO / "tests" / "cast"
CLI = (sys.executable, "-m", "kiosk.cli")
PASSWORD = "server-proc-password"


class ServerError(RuntimeError):
    """A CLI command failed or the server did not come up; the message carries its output."""


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One ``motcua serve`` process (gunicorn master + worker) and its instance folder."""

    def __init__(
        self,
        instance: Path,
        *,
        config: Path | str = CAST,
        database_url: str | None = None,
        message_queue: str | None = None,
        printer: str | None = None,
        secret_key: str | None = None,
        workers: int = 1,
        channel: str | None = None,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> None:
        self.instance = Path(instance)
        self.instance.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.instance / "serve.log"
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
        self.env.update(
            MOTCUA_INSTANCE=str(self.instance), MOTCUA_CONFIG=str(config), PYTHONUNBUFFERED="1"
        )
        optional = {
            "MOTCUA_DATABASE_URL": database_url,
            "MOTCUA_MESSAGE_QUEUE": message_queue,
            "MOTCUA_PRINTER": printer,
            "MOTCUA_SECRET_KEY": secret_key,
            # Redis pub/sub ignores database numbers: a run of its own on a shared Redis.
            "MOTCUA_CHANNEL": channel or (f"test-{uuid.uuid4().hex}" if message_queue else None),
        }
        self.env.update({k: v for k, v in optional.items() if v is not None})
        self.env.update(env or {})

    @property
    def database_url(self) -> str:
        return self.env.get("MOTCUA_DATABASE_URL") or f"sqlite:///{self.sqlite_path}"

    @property
    def sqlite_path(self) -> Path:
        """The default SQLite file (meaningful only without ``database_url``)."""
        return self.instance / "motcua.sqlite3"

    # --- the command line ----------------------------------------------------------------------

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
        """Run ``motcua ARGS`` with this server's environment; return stdout, raise on failure."""
        done = subprocess.run(
            [*CLI, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=REPO,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise ServerError(
                f"motcua {' '.join(args)} exited {done.returncode}: "
                f"{done.stderr.strip() or done.stdout.strip()}"
            )
        return done.stdout

    def init_db(self) -> None:
        self.cli("init-db")

    def staff_token(self, name: str, role: str = "staff") -> str:
        """Add a user (``motcua user add``) and return a bearer token (``motcua token issue``)."""
        self.cli("user", "add", name, "--role", role, stdin=PASSWORD + "\n")
        return self.user_token(name)

    def user_token(self, name: str) -> str:
        return _last_line(self.cli("token", "issue", name))

    def device_token(
        self,
        name: str,
        kind: str = "kiosk",
        site: str = "hall",
        display: int | None = None,
        counter: int | None = None,
    ) -> str:
        """``motcua device add``; returns the device token (the last line of its output)."""
        args = ["device", "add", name, "--kind", kind, "--site", site]
        if display is not None:
            args += ["--display", str(display)]
        if counter is not None:
            args += ["--counter", str(counter)]
        return _last_line(self.cli(*args))

    # --- the process ---------------------------------------------------------------------------

    def start(self, timeout: float = 30) -> Server:
        """Start ``motcua serve`` (again, after :meth:`stop` or :meth:`kill`) and wait for
        ``GET /healthz`` to answer 200."""
        if self.running:
            raise ServerError("already running")
        self.launch()
        self.wait_ready(timeout)
        return self

    def launch(self) -> None:
        """Start the process without waiting (see :meth:`wait_ready`)."""
        args = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers != 1:
            args += ["--workers", str(self.workers)]
        with open(self.log_path, "ab") as log:
            # Own process group: kill() reaches the gunicorn worker as well as the master.
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self.env,
                cwd=REPO,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                self._reap()
                raise ServerError(f"motcua serve exited early:\n{self.log_tail()}")
            try:
                status, _ = self.request("GET", "/healthz", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise ServerError(f"motcua serve not ready after {timeout} s:\n{self.log_tail()}")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 5) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds. Safe to call twice."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        self._reap()

    def kill(self) -> None:
        """``kill -9`` the master and its worker at once, like a crash."""
        if self.proc is None:
            return
        self._reap()

    def _signal(self, sig: int) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def _reap(self) -> None:
        """SIGKILL whatever is left of the process group and wait for the master."""
        if self.proc is None:
            return
        self._signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None

    def pids(self) -> list[int]:
        """The master's pid and its children's (the gunicorn worker)."""
        if not self.running:
            return []
        assert self.proc is not None
        master = self.proc.pid
        found = [master]
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the command name, which is in parentheses and may hold spaces.
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == master:
                found.append(int(entry.name))
        return found

    def rss_kib(self) -> dict[int, int]:
        """VmRSS in KiB of each process (see :meth:`pids`)."""
        out = {}
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    out[pid] = int(line.split()[1])
        return out

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    # --- HTTP ----------------------------------------------------------------------------------

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        """A new kept-alive connection to the server (close it yourself)."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, Any]:
        """One request on a fresh connection: (status, decoded JSON or None)."""
        conn = self.connection(timeout)
        try:
            return call(conn, method, path, token, body, headers)
        finally:
            conn.close()


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """One request on an open connection: (status, decoded JSON or None). The response is read
    in full, so the connection can be reused."""
    head = {"Accept": "application/json", **(headers or {})}
    if token:
        head["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        head["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=head)
    response = conn.getresponse()
    raw = response.read()
    kind = response.getheader("Content-Type", "")
    return response.status, json.loads(raw) if raw and kind.startswith("application/json") else None


def read_head(sock: socket.socket) -> bytes:
    """What a raw socket receives up to the end of a response's head (and whatever came along
    with it); less if the server closes first."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return head


def cut_connections(pg_url: str, *, listener: bool) -> int:
    """Terminate the PostgreSQL connections of ``pg_url``'s database, as its restart would:
    the server's ``LISTEN`` connection alone (``listener``), or all its others. Returns how
    many were cut."""
    import psycopg

    which = "LIKE" if listener else "NOT LIKE"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        cut = c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = %s AND pid <> pg_backend_pid() AND query {which} 'LISTEN%%'",
            (pg_url.rsplit("/", 1)[1],),
        ).fetchall()
    return len(cut)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise ServerError("the command printed nothing")
    return lines[-1]


@contextmanager
def running(instance: Path, *, init_db: bool = True, **options: Any) -> Iterator[Server]:
    """A started server (after ``motcua init-db`` unless ``init_db=False``), stopped at exit.
    ``options`` are those of :class:`Server`."""
    server = Server(instance, **options)
    try:
        if init_db:
            server.init_db()
        server.start()
        yield server
    finally:
        server.stop()


class Servers:
    """What the fixture returns: start servers; all are stopped when the test ends."""

    def __init__(self) -> None:
        self.started: list[Server] = []

    def start(
        self, instance: Path, *, init_db: bool = True, wait: bool = True, **options: Any
    ) -> Server:
        """``motcua init-db`` (unless ``init_db=False``), then ``motcua serve``. With
        ``wait=False`` it returns at once: make tokens while the server boots, then call
        ``server.wait_ready()``."""
        server = Server(instance, **options)
        self.started.append(server)
        if init_db:
            server.init_db()
        if not wait:
            server.launch()
            return server
        return server.start()

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


def fixture(name: str = "servers") -> Any:
    """A pytest fixture named ``name`` giving a :class:`Servers`; assign it in a test module
    (``servers = serverproc.fixture()``)."""

    @pytest.fixture(name=name)
    def _servers() -> Iterator[Servers]:
        servers = Servers()
        try:
            yield servers
        finally:
            servers.stop_all()

    return _servers


# --- configurations for load tests -------------------------------------------------------------


def write_config(
    dest: Path,
    *,
    counters: int = 2,
    display_id: int = 1,
    services: tuple[tuple[str, str], ...] = (("cert", "A"), ("civil", "B")),
    tickets_per_minute: int = 30,
) -> Path:
    """A configuration folder like ``tests/cast`` with one open-all-day site ``hall`` whose
    ``counters`` counters all serve every service (odd counters in the listed order, even ones
    in reverse) and one display ``display_id`` showing all of them. Returns ``dest``."""
    (dest / "sites").mkdir(parents=True, exist_ok=True)
    main = (CAST / "motcua.yaml").read_text(encoding="utf-8")
    main = main.replace("tickets_per_minute: 30", f"tickets_per_minute: {tickets_per_minute}")
    (dest / "motcua.yaml").write_text(main, encoding="utf-8")
    codes = [code for code, _ in services]
    lines = [
        "code: hall",
        'name: "Sảnh tải thử"',
        'address: "Số 1, phố Thử"',
        'hours: {daily: ["00:00-24:00"]}',
        "services:",
    ]
    lines += [
        f'  - {{code: {code}, prefix: {prefix}, name: "Dịch vụ {code}"}}'
        for code, prefix in services
    ]
    lines.append("counters:")
    for n in range(1, counters + 1):
        order = codes if n % 2 else codes[::-1]
        lines.append(f'  - {{number: {n}, name: "Quầy {n}", services: [{", ".join(order)}]}}')
    numbers = ", ".join(str(n) for n in range(1, counters + 1))
    lines += [
        "displays:",
        f'  - {{id: {display_id}, name: "Màn hình", counters: [{numbers}]}}',
        "kiosks:",
        '  - {name: kiosk-1, printer: "none"}',
    ]
    (dest / "sites" / "hall.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest
