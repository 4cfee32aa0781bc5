#!/usr/bin/env python3
"""Display benchmark: many hall displays on the ``/display`` Socket.IO namespace.

For each level (``--clients``, default 1, 100 and 500) a fresh ``motcua serve`` is started
(``--workers`` processes; above 1 they share events through Redis), and that many clients
connect to ``/display`` with a display device token, from ``--procs`` separate processes
(``multiprocessing``, spawn): never from the server's process. The server's memory is read
before and after they connect: the difference per client is what an idle connection costs.

* idle: the server's CPU (utime + stime of the gunicorn master and worker, from
  ``/proc/<pid>/stat``) over ``--idle`` seconds with every client connected and nothing
  happening but Engine.IO's heartbeat (one ping per client every 25 s);
* calls: ``--rate`` call-next requests per second over HTTP for ``--seconds`` seconds, spread
  over the counters; for every (call, client) the latency is the time from just before the
  HTTP request is sent to the moment the client sees the ``called`` event (same machine, same
  clock: ``time.time()`` in every process), and the server's CPU and context switches over the
  same window. "Fan-out spread" is how long after the first display the others see a call.

On a small machine hundreds of Python clients compete with the server for the CPU, so each
level with more than ``--probes`` clients runs a second time with only that many
python-socketio clients ("probes") and the rest a :class:`LeanHerd` (the same protocol, far
cheaper on the client side): the probes' latency is then the server's, not the clients'.
The python-socketio clients run their handlers in their reading thread (see
:func:`inline_dispatch`): by default its sync client starts a thread per received message.

Results go to ``--out`` (default ``bench/results/display.json``) and a markdown table next to
it (``display.md``). The machine's load average is recorded: other work skews the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import serverproc  # noqa: E402

COUNTERS = 10
SERVICES = (("cert", "A"), ("civil", "B"))
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- the client processes ----------------------------------------------------------------------


def inline_dispatch(sio: Any) -> None:
    """Run event handlers in the client's reading thread, in order, as a browser does.

    python-socketio's sync client starts a new thread for every message it receives; with
    hundreds of clients on the server's own 2-core machine those threads cost more CPU than
    the server's work and would make the benchmark measure the clients."""
    trigger = sio.eio._trigger_event

    def inline(event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "message":
            kwargs["run_async"] = False
        return trigger(event, *args, **kwargs)

    sio.eio._trigger_event = inline


class LeanHerd:
    """Display connections that cost their own process almost nothing: the handshake through
    websocket-client, then one thread, a selector and WebSocket frames cut by hand (the
    Engine.IO heartbeat answered, ``called`` numbers picked out with a regular expression).
    The server does exactly the same work for them as for a python-socketio client or a
    browser: the handshake offers ``permessage-deflate`` as Chromium does (the server declines
    it; were it accepted, each connection would keep a zlib compressor)."""

    CALLED = b'42/display,["called",'
    QUEUE = b'42/display,["queue",'
    NUMBER = re.compile(rb'"number":"([A-Z][0-9]+)"')
    PONG = b"\x81\x81\x00\x00\x00\x003"  # text frame "3", masked with a zero key
    DEFLATE_OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"

    def __init__(self, port: int, token: str) -> None:
        import selectors

        self.url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
        self.token = token
        self.selector = selectors.DefaultSelector()
        self.sockets: list[Any] = []
        self.received: list[tuple[int, str, float]] = []
        self.queue_events = 0
        self.stopping = False

    def connect(self, index: int) -> None:
        import websocket

        # Offered as Chromium offers it, so that the server keeps what it keeps for a browser.
        ws = websocket.create_connection(self.url, timeout=30, header=[self.DEFLATE_OFFER])
        if "sec-websocket-extensions" in {k.lower() for k in (ws.getheaders() or {})}:
            raise RuntimeError("the server accepted permessage-deflate: frames are compressed")
        opening = ws.recv()
        if not opening.startswith("0{"):
            raise RuntimeError(f"unexpected opening {opening[:40]!r}")
        ws.send("40/display," + json.dumps({"token": self.token}))
        while True:  # the namespace's answer, then the state snapshot
            message = ws.recv()
            if message.startswith("44/display"):
                raise RuntimeError(f"refused: {message}")
            if message.startswith('42/display,["state"'):
                break
        self.sockets.append((index, ws))

    def run(self) -> None:
        import selectors

        for index, ws in self.sockets:
            ws.sock.setblocking(False)
            self.selector.register(ws.sock, selectors.EVENT_READ, [index, bytearray()])
        while not self.stopping:
            for key, _ in self.selector.select(0.2):
                try:
                    data = key.fileobj.recv(262144)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    self.selector.unregister(key.fileobj)
                    continue
                at = time.time()
                index, buf = key.data
                buf += data
                self._frames(key.fileobj, index, buf, at)

    def _frames(self, sock: Any, index: int, buf: bytearray, at: float) -> None:
        pos = 0
        while len(buf) - pos >= 2:
            size = buf[pos + 1] & 0x7F
            head = 2
            if size == 126:
                head = 4
                if len(buf) - pos < head:
                    break
                size = int.from_bytes(buf[pos + 2 : pos + 4], "big")
            elif size == 127:
                head = 10
                if len(buf) - pos < head:
                    break
                size = int.from_bytes(buf[pos + 2 : pos + 10], "big")
            if len(buf) - pos < head + size:
                break
            payload = bytes(buf[pos + head : pos + head + size])
            pos += head + size
            if payload == b"2":
                sock.setblocking(True)
                sock.sendall(self.PONG)  # Engine.IO heartbeat
                sock.setblocking(False)
            elif payload.startswith(self.CALLED):
                m = self.NUMBER.search(payload)
                if m:
                    self.received.append((index, m.group(1).decode(), at))
            elif payload.startswith(self.QUEUE):
                self.queue_events += 1
        del buf[:pos]

    def close(self) -> None:
        self.stopping = True
        for _, ws in self.sockets:
            try:
                ws.sock.setblocking(True)
                ws.close(timeout=1)
            except Exception:
                pass


def _clients(port: int, token: str, count: int, probes: int | None, pipe: Any) -> None:
    """``count`` display clients in this process: all python-socketio clients, or only
    ``probes`` of them and the rest a :class:`LeanHerd`. Reports ("connected", ok, errors,
    seconds), then on "start" forgets the queue events seen so far, and on "stop" answers
    ("results", [(client, number, received_at, probe)], queue events, dropped, cpu_s)."""
    import logging

    import socketio

    # An overloaded server delays its pings; python-socketio then gives up on the connection
    # and says so once per client: counted below instead.
    logging.getLogger("engineio.client").disabled = True
    received: list[tuple[int, str, float]] = []
    queue_events = [0]
    dropped = [0]
    lock = threading.Lock()
    clients: list[Any] = []
    socketio_count = count if probes is None else min(probes, count)
    herd = LeanHerd(port, token)

    def make(index: int) -> Any:
        if index >= socketio_count:
            herd.connect(index)
            return None
        sio = socketio.Client(reconnection=False)
        inline_dispatch(sio)

        def on_called(data: dict[str, Any]) -> None:
            at = time.time()
            with lock:
                received.append((index, data["number"], at))

        def on_queue(_data: Any) -> None:
            with lock:
                queue_events[0] += 1

        def on_disconnect(*_args: Any) -> None:
            with lock:
                dropped[0] += 1

        sio.on("called", on_called, namespace="/display")
        sio.on("queue", on_queue, namespace="/display")
        sio.on("disconnect", on_disconnect, namespace="/display")
        sio.connect(
            f"http://127.0.0.1:{port}",
            namespaces=["/display"],
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=30,
        )
        return sio

    cpu0 = time.process_time()
    t0 = time.monotonic()
    errors: list[str] = []
    connected = 0
    with ThreadPoolExecutor(16) as pool:
        for future in [pool.submit(make, i) for i in range(count)]:
            try:
                sio = future.result()
                connected += 1
                if sio is not None:
                    clients.append(sio)
            except Exception as exc:  # reported, not fatal: the summary shows the count
                errors.append(repr(exc))
    herd_thread = threading.Thread(target=herd.run, daemon=True)
    herd_thread.start()
    pipe.send(("connected", connected, errors[:5], time.monotonic() - t0))
    assert pipe.recv() == "start"
    with lock:
        queue_events[0] = 0
    herd.queue_events = 0
    pipe.send("started")
    assert pipe.recv() == "stop"
    herd.stopping = True
    herd_thread.join(5)
    with lock:
        results = [(i, n, at, True) for i, n, at in received]
    results += [(i, n, at, False) for i, n, at in herd.received]
    cpu = time.process_time() - cpu0
    pipe.send(("results", results, queue_events[0] + herd.queue_events, dropped[0], cpu))
    herd.close()
    for sio in clients:
        try:
            sio.disconnect()
        except Exception:
            pass


# --- measurements ------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def context_switches(pids: list[int]) -> tuple[int, int]:
    """(threads, context switches so far) summed over every thread of ``pids``."""
    threads = switches = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                status = (task / "status").read_text()
            except OSError:
                continue
            threads += 1
            for line in status.splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches += int(line.split()[1])
    return threads, switches


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return round(ordered[k], 1)


def prefill(srv: serverproc.Server, token: str, count: int) -> None:
    conn = srv.connection()
    try:
        for i in range(count):
            body = {"site": "hall", "service": SERVICES[i % len(SERVICES)][0]}
            status, _ = serverproc.call(conn, "POST", "/api/v1/tickets", token, body)
            if status not in (200, 201):
                raise RuntimeError(f"issue failed: {status}")
    finally:
        conn.close()


def make_calls(
    srv: serverproc.Server, token: str, rate: float, seconds: float
) -> tuple[dict[str, float], list[float]]:
    """``rate`` call-next per second, round robin over the counters, on one kept-alive
    connection. Returns {number: time the request was sent} and the HTTP durations (ms)."""
    sent: dict[str, float] = {}
    http_ms: list[float] = []
    conn = srv.connection()
    total = int(rate * seconds)
    start = time.monotonic() + 0.2
    try:
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            counter = i % COUNTERS + 1
            at = time.time()
            t = time.perf_counter()
            status, body = serverproc.call(
                conn, "POST", f"/api/v1/counters/hall/{counter}/call-next", token
            )
            http_ms.append((time.perf_counter() - t) * 1000)
            if status != 200:
                raise RuntimeError(f"call-next failed: {status} {body}")
            sent[body["number"]] = at
    finally:
        conn.close()
    return sent, http_ms


def run_level(
    clients: int, probes: int | None, args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    name = f"{clients}-{probes}"
    config = serverproc.write_config(work / f"config-{name}", counters=COUNTERS)
    calls = int(args.rate * args.seconds)
    queue = args.message_queue if args.workers > 1 else None
    # Every display here connects from 127.0.0.1: the per-address cap (200 by default, for a
    # real hall's displays each come from their own PC) is raised to let them all in.
    env = {"MOTCUA_CONNECTIONS_PER_ADDRESS": str(clients + 200)}
    with serverproc.running(
        work / f"instance-{name}",
        config=config,
        workers=args.workers,
        message_queue=queue,
        env=env,
    ) as srv:
        staff = srv.staff_token("bench", role="admin")
        tv = srv.device_token("tv-bench", kind="display", display=1)
        prefill(srv, staff, calls + COUNTERS)
        time.sleep(1)
        rss_before = srv.rss_kib()
        procs = min(args.procs, clients)
        shares = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
        probe_shares = (
            None
            if probes is None
            else [probes // procs + (1 if i < probes % procs else 0) for i in range(procs)]
        )
        ctx = multiprocessing.get_context("spawn")
        workers = []
        for i, share in enumerate(shares):
            ours, theirs = ctx.Pipe()
            mine = None if probe_shares is None else probe_shares[i]
            p = ctx.Process(target=_clients, args=(srv.port, tv, share, mine, theirs), daemon=True)
            p.start()
            workers.append((p, ours))
        connected, connect_s, errors = 0, 0.0, []
        for _, pipe in workers:
            kind, ok, errs, seconds = pipe.recv()
            connected += ok
            connect_s = max(connect_s, seconds)
            errors += errs
        print(f"  {connected}/{clients} connected in {connect_s:.1f} s", flush=True)
        pids = srv.pids()
        time.sleep(2)  # let the connection burst settle

        load0 = os.getloadavg()[0]
        cpu0, t0 = cpu_seconds(pids), time.monotonic()
        time.sleep(args.idle)
        idle_cpu = (cpu_seconds(pids) - cpu0) / (time.monotonic() - t0)
        print(f"  idle: server CPU {idle_cpu * 100:.2f} % of a core", flush=True)

        for _, pipe in workers:
            pipe.send("start")
            assert pipe.recv() == "started"
        threads_alive, switches0 = context_switches(pids)
        cpu0, t0 = cpu_seconds(pids), time.monotonic()
        sent, http_ms = make_calls(srv, staff, args.rate, args.seconds)
        time.sleep(1.0)  # the last deliveries
        wall = time.monotonic() - t0
        load_cpu = (cpu_seconds(pids) - cpu0) / wall
        switches = context_switches(pids)[1] - switches0
        load1 = os.getloadavg()[0]

        latencies: list[float] = []
        probe_latencies: list[float] = []
        arrivals: dict[str, list[float]] = {}
        client_cpu = 0.0
        queue_events = dropped = 0
        for p, pipe in workers:
            pipe.send("stop")
            kind, results, queued, gone, cpu = pipe.recv()
            client_cpu += cpu
            queue_events += queued
            dropped += gone
            for _, number, at, probe in results:
                if number in sent:
                    latencies.append((at - sent[number]) * 1000)
                    if probe:
                        probe_latencies.append((at - sent[number]) * 1000)
                    arrivals.setdefault(number, []).append(at)
            p.join(30)
        # Fan-out: how long after the first display the others get the same call.
        spread = [(at - min(ats)) * 1000 for ats in arrivals.values() for at in ats]
        expected = len(sent) * connected
        run = {
            "clients": clients,
            "socketio_clients": clients if probes is None else min(probes, clients),
            "connected": connected,
            "connect_errors": errors,
            "connect_s": round(connect_s, 2),
            "workers": args.workers,
            "client_processes": procs,
            "idle_seconds": args.idle,
            "idle_server_cpu_pct": round(idle_cpu * 100, 2),
            "calls": len(sent),
            "calls_per_s": round(len(sent) / args.seconds, 2),
            "load_server_cpu_pct": round(load_cpu * 100, 1),
            "delivered": len(latencies),
            "dropped_connections": dropped,
            "expected": expected,
            "latency_ms": {
                "p50": pct(latencies, 50),
                "p90": pct(latencies, 90),
                "p99": pct(latencies, 99),
                "max": pct(latencies, 100),
                "mean": round(statistics.fmean(latencies), 1) if latencies else None,
            },
            "socketio_latency_ms": {
                "p50": pct(probe_latencies, 50),
                "p99": pct(probe_latencies, 99),
                "max": pct(probe_latencies, 100),
            },
            "fanout_spread_ms": {"p50": pct(spread, 50), "p99": pct(spread, 99)},
            "call_next_http_ms": {"p50": pct(http_ms, 50), "p99": pct(http_ms, 99)},
            "queue_events_per_call_per_display": round(
                queue_events / max(1, len(sent) * connected), 2
            ),
            "server_os_threads": threads_alive,
            "server_context_switches_per_s": round(switches / wall),
            "client_cpu_s": round(client_cpu, 1),
            "rss_kib": srv.rss_kib(),
            "rss_before_kib": rss_before,
            "kib_per_connection": round(
                (sum(srv.rss_kib().values()) - sum(rss_before.values())) / max(1, connected), 1
            ),
            "loadavg": [round(load0, 2), round(load1, 2)],
        }
        lat = run["latency_ms"]
        print(
            f"  calls: {run['calls_per_s']}/s, delivered {len(latencies)}/{expected}, "
            f"latency p50 {lat['p50']} ms p99 {lat['p99']} ms max {lat['max']} ms, "
            f"server CPU {run['load_server_cpu_pct']} %",
            flush=True,
        )
        return run


# --- report ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        )
        return out.stdout.strip() or None
    except OSError:
        return None


def table(results: dict[str, Any]) -> str:
    lines = [
        "| displays | workers | idle server CPU | KiB per connection | delivered | latency p50 "
        "| p99 | max | all clients p99 | fan-out spread p99 | call-next HTTP p50 / p99 "
        "| server CPU under calls | context switches/s | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["runs"]:
        lat, h, f = r["socketio_latency_ms"], r["call_next_http_ms"], r["fanout_spread_ms"]
        dropped = f" ({r['dropped_connections']} dropped)" if r.get("dropped_connections") else ""
        who = f"{r['connected']} python-socketio"
        if r["socketio_clients"] < r["clients"]:
            who = f"{r['connected']}: {r['socketio_clients']} python-socketio + lean"
        lines.append(
            f"| {who} | {r.get('workers', 1)} | {r['idle_server_cpu_pct']} % | "
            f"{r.get('kib_per_connection')} | "
            f"{r['delivered']}/{r['expected']}{dropped} | {lat['p50']} ms | {lat['p99']} ms | "
            f"{lat['max']} ms | {r['latency_ms']['p99']} ms | {f['p99']} ms | "
            f"{h['p50']} / {h['p99']} ms | {r['load_server_cpu_pct']} % | "
            f"{r['server_context_switches_per_s']} | {r['loadavg'][0]}–{r['loadavg'][1]} |"
        )
    rate = results["settings"]["rate"]
    lines.append(
        f"\n{rate:g} call-next/s over HTTP; latency = from sending the call to the python-socketio "
        "clients' `called` handler (the probes' when the rest are lean clients)."
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 100, 500])
    parser.add_argument("--rate", type=float, default=10.0, help="call-next per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the call phase")
    parser.add_argument(
        "--idle",
        type=float,
        default=50.0,
        help="length of the idle phase; keep it a multiple of Engine.IO's 25 s ping interval "
        "(the clients connect within seconds of each other, so their pings come in bursts, "
        "and a window of 30 s holds one burst or two depending on where it starts)",
    )
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument(
        "--probes",
        type=int,
        default=20,
        help="run each level a second time with only this many python-socketio clients and "
        "the others lean (see LeanHerd); 0: do not",
    )
    parser.add_argument("--workers", type=int, default=1, help="motcua serve --workers")
    parser.add_argument("--message-queue", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--lean-only",
        action="store_true",
        help="above --probes clients, run only the level with lean clients",
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "display.json")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "benchmark": "display",
        "commit": git_commit(),
        "machine": machine(),
        "settings": {
            "rate": args.rate,
            "seconds": args.seconds,
            "idle": args.idle,
            "procs": args.procs,
            "probes": args.probes,
            "counters": COUNTERS,
            "workers": args.workers,
        },
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="motcua-bench-display-") as tmp:
        for clients in args.clients:
            if not (args.lean_only and 0 < args.probes < clients):
                print(f"{clients} display clients (python-socketio)", flush=True)
                results["runs"].append(run_level(clients, None, args, Path(tmp)))
            if 0 < args.probes < clients:
                print(f"{clients} display clients ({args.probes} python-socketio)", flush=True)
                results["runs"].append(run_level(clients, args.probes, args, Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    markdown = table(results)
    args.out.with_suffix(".md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"written {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
