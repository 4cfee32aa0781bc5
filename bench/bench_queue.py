#!/usr/bin/env python3
"""Queue benchmark: ticket issue and call-next over HTTP against a real ``motcua serve``.

For each database (SQLite in the instance folder; PostgreSQL on 127.0.0.1 in a throw-away
database, skipped if it is not running):

* floor: one client reading ``GET /api/v1/priority-groups`` (no database), the cost of the
  web stack alone (gunicorn, Engine.IO middleware, Flask, auth-less JSON);
* issue: 1, 4 and 16 concurrent clients, each with one kept-alive ``http.client`` connection
  (TCP_NODELAY on, as browsers do), posting tickets for ``--seconds``; each level issues into
  its own service so that every level starts from an empty queue;
* one client without TCP_NODELAY, to show a Nagle / delayed-ACK stall if there is one;
* call-next: 8 counters calling on a queue pre-filled with ``--prefill`` tickets until it is
  empty;
* the server's resident memory (VmRSS of the gunicorn master and worker) idle and after load.

The clients run in a separate process (``multiprocessing``, spawn), not in the server's; on a
2-core machine they compete with the server for CPU. Results go to JSON (``--out``, default
``bench/results/queue.json``) and a markdown table next to it (``queue.md``). Each run also
records the server's and the clients' CPU use and the machine's load average, since other
work on the machine skews the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import serverproc  # noqa: E402

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
LEVELS = (1, 4, 16)
COUNTERS = 8
# One service per issue level (each starts from an empty queue) and one that counters call.
# "q1off" takes the single client without TCP_NODELAY.
SERVICES = (("q1", "A"), ("q4", "B"), ("q16", "C"), ("q1off", "E"), ("calls", "D"))


# --- the load process --------------------------------------------------------------------------


def _client(
    port: int,
    token: str,
    plan: dict[str, Any],
    index: int,
    barrier: threading.Barrier,
    out: list[Any],
) -> None:
    """One client: its own kept-alive connection; requests until the plan's end time."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    answered = 0  # warm-up included
    statuses: Counter[int] = Counter()
    errors = 0
    try:
        conn.connect()
        if plan["nodelay"]:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        method, body = "POST", b""
        if plan["kind"] == "issue":
            path = "/api/v1/tickets"
            body = json.dumps({"site": "hall", "service": plan["service"]}).encode()
        elif plan["kind"] == "call-next":
            path = f"/api/v1/counters/hall/{index + 1}/call-next"
        else:  # "floor": the cheapest JSON endpoint, for the web stack's own cost
            method, path = "GET", "/api/v1/priority-groups"
        headers = {"Accept": "application/json"}
        if method == "POST":
            headers["Authorization"] = f"Bearer {token}"
            headers["Content-Type"] = "application/json"
        barrier.wait(timeout=60)
        start, end = plan["start"], plan["end"]
        for _ in range(plan["max_requests"]):
            t0 = time.perf_counter()
            if t0 >= end:
                break
            try:
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                continue
            t1 = time.perf_counter()
            answered += 1
            if t0 >= start:  # after the warm-up
                latencies.append(t1 - t0)
                statuses[response.status] += 1
            if plan["kind"] == "call-next" and response.status == 204:
                break  # this counter found the queue empty
    finally:
        conn.close()
        out[index] = {
            "latencies": latencies,
            "statuses": statuses,
            "errors": errors,
            "answered": answered,
        }


def _load(port: int, token: str, clients: int, plan: dict[str, Any], pipe: Any) -> None:
    """Entry point of the load process: ``clients`` threads, results sent through ``pipe``."""
    barrier = threading.Barrier(clients + 1)
    out: list[Any] = [None] * clients
    threads = [
        threading.Thread(target=_client, args=(port, token, plan, i, barrier, out))
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    # Set before the barrier releases the clients (they read it right after).
    plan["start"] = time.perf_counter() + plan["warmup_s"]
    plan["end"] = plan["start"] + plan["seconds"]
    barrier.wait(timeout=60)
    cpu0 = time.process_time()
    for t in threads:
        t.join(plan["seconds"] + plan["warmup_s"] + 120)
    finished = time.perf_counter()
    cpu = time.process_time() - cpu0
    latencies = sorted(x for r in out if r for x in r["latencies"])
    statuses: Counter[int] = Counter()
    for r in out:
        if r:
            statuses.update(r["statuses"])
    pipe.send(
        {
            "latencies": latencies,
            "statuses": dict(statuses),
            "errors": sum(r["errors"] for r in out if r),
            "answered": sum(r["answered"] for r in out if r),
            "window_s": min(finished, plan["end"]) - plan["start"],
            "client_cpu_s": cpu,
            "wall_s": finished - plan["start"] + plan["warmup_s"],
        }
    )
    pipe.close()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def run_load(srv: serverproc.Server, token: str, clients: int, **plan: Any) -> dict[str, Any]:
    """Run one load level in a fresh process; return the measured figures."""
    pids = srv.pids()
    server_cpu = cpu_seconds(pids)
    load_before = os.getloadavg()[0]
    plan.setdefault("nodelay", True)
    plan.setdefault("warmup_s", 0.5)
    plan.setdefault("max_requests", 1_000_000)
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_load, args=(srv.port, token, clients, plan, child))
    proc.start()
    child.close()
    try:
        if not parent.poll(plan["seconds"] + plan["warmup_s"] + 180):
            raise RuntimeError("the load process did not answer")
        raw = parent.recv()
    finally:
        parent.close()
        proc.join(30)
        if proc.is_alive():
            proc.kill()
            proc.join()
    raw["server_cpu_s"] = cpu_seconds(pids) - server_cpu
    summary = summarise(raw, clients, plan)
    # The machine's 1-minute load average around the run: other work skews the figures.
    summary["loadavg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return summary


def summarise(raw: dict[str, Any], clients: int, plan: dict[str, Any]) -> dict[str, Any]:
    lat = raw["latencies"]
    done = len(lat)
    window = raw["window_s"]

    def pct(p: float) -> float | None:
        return round(lat[min(done - 1, int(p / 100 * done))] * 1000, 2) if done else None

    ok = raw["statuses"].get(200, 0) + raw["statuses"].get(201, 0)
    return {
        "kind": plan["kind"],
        "clients": clients,
        "tcp_nodelay": plan["nodelay"],
        "requests": done,
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(raw["statuses"].items())},
        "errors": raw["errors"],
        "seconds": round(window, 2),
        "per_s": round(done / window, 1) if window > 0 else None,
        "ok_per_s": round(ok / window, 1) if window > 0 else None,
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(lat[-1] * 1000, 2) if done else None,
        # CPU use over the whole run (warm-up included), in cores: 1.0 is one core busy.
        "server_cpu": round(raw["server_cpu_s"] / raw["wall_s"], 2),
        "client_cpu": round(raw["client_cpu_s"] / raw["wall_s"], 2),
        # Server CPU time per answered request: hardly moved by other load on the machine.
        "server_cpu_ms_per_request": (
            round(raw["server_cpu_s"] / raw["answered"] * 1000, 2) if raw["answered"] else None
        ),
    }


# --- one database ------------------------------------------------------------------------------


def rss(srv: serverproc.Server) -> dict[str, int]:
    """VmRSS in KiB of the master, of the worker and both added up; and their PSS added up
    (the worker is forked from the master: their RSS counts shared pages twice)."""
    per_pid = srv.rss_kib()
    pss = 0
    for pid in per_pid:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        pss += next(
            (int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0
        )
    assert srv.proc is not None
    master = per_pid.pop(srv.proc.pid, 0)
    return {
        "master_kib": master,
        "worker_kib": sum(per_pid.values()),
        "total_kib": master + sum(per_pid.values()),
        "pss_total_kib": pss,
    }


def prefill(srv: serverproc.Server, token: str, count: int) -> None:
    """Queue ``count`` tickets of the service the counters call, from 4 connections."""
    per = -(-count // 4)
    failures: list[str] = []

    def fill(n: int) -> None:
        conn = srv.connection(30)
        try:
            for _ in range(n):
                status, body = serverproc.call(
                    conn, "POST", "/api/v1/tickets", token, {"site": "hall", "service": "calls"}
                )
                if status != 201:
                    failures.append(f"{status} {body}")
                    return
        except (OSError, http.client.HTTPException) as exc:
            failures.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=fill, args=(min(per, count - i * per),)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    if failures:
        raise RuntimeError(f"prefill failed: {failures[0]}")


def bench_config(dest: Path) -> Path:
    """The test cast's settings and one all-day site: counters 1-8 call only ``calls``, a
    ninth serves the issue-level services (every service needs a counter)."""
    serverproc.write_config(dest)
    lines = ["code: hall", 'name: "Sảnh đo tải"', 'hours: {daily: ["00:00-24:00"]}', "services:"]
    lines += [f'  - {{code: {c}, prefix: {p}, name: "Dịch vụ {c}"}}' for c, p in SERVICES]
    lines.append("counters:")
    lines += [
        f'  - {{number: {n}, name: "Quầy {n}", services: [calls]}}' for n in range(1, COUNTERS + 1)
    ]
    issue_services = ", ".join(c for c, _ in SERVICES if c != "calls")
    lines.append(f'  - {{number: {COUNTERS + 1}, name: "Quầy phụ", services: [{issue_services}]}}')
    shown = ", ".join(str(n) for n in range(1, COUNTERS + 1))
    lines += ["displays:", f"  - {{id: 1, name: Hall, counters: [{shown}]}}"]
    (dest / "sites" / "hall.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def bench_database(
    name: str, url: str | None, work: Path, args: argparse.Namespace, workers: int
) -> dict:
    config = bench_config(work / "config")
    out: dict[str, Any] = {"database": name, "workers": workers, "runs": []}
    name = f"{name}-w{workers}"
    queue_url = args.message_queue if workers > 1 else None
    # With --attack the per-address cap is raised so that the attacker really holds its
    # 1,000 sockets (by default it would be refused past 200); --attack-default-cap keeps it.
    raise_cap = args.attack and not args.attack_default_cap
    env = {"MOTCUA_CONNECTIONS_PER_ADDRESS": "2000"} if raise_cap else None
    with serverproc.running(
        work / name,
        config=config,
        database_url=url,
        workers=workers,
        message_queue=queue_url,
        env=env,
    ) as srv:
        token = srv.staff_token("bench")
        srv.request("GET", "/healthz")
        time.sleep(1)
        out["rss_idle"] = rss(srv)
        print(f"[{name}] idle RSS {out['rss_idle']['total_kib'] / 1024:.0f} MiB", flush=True)
        run = run_load(srv, token, 1, kind="floor", seconds=args.seconds / 2)
        out["runs"].append(run)
        print(f"[{name}] GET /api/v1/priority-groups x1: {fmt(run)}", flush=True)
        for clients, (service, _) in zip(LEVELS, SERVICES, strict=False):
            run = run_load(srv, token, clients, kind="issue", service=service, seconds=args.seconds)
            out["runs"].append(run)
            print(f"[{name}] issue x{clients}: {fmt(run)}", flush=True)
        if args.attack:
            out["runs"].append(run_under_attack(srv, token, args))
        run = run_load(
            srv, token, 1, kind="issue", service="q1off", seconds=args.seconds, nodelay=False
        )
        out["runs"].append(run)
        print(f"[{name}] issue x1 without TCP_NODELAY: {fmt(run)}", flush=True)

        prefill(srv, token, args.prefill)
        run = run_load(srv, token, COUNTERS, kind="call-next", seconds=120, warmup_s=0)
        run["prefill"] = args.prefill
        out["runs"].append(run)
        print(f"[{name}] call-next x{COUNTERS}: {fmt(run)}", flush=True)
        out["rss_after"] = rss(srv)
        print(f"[{name}] RSS after load {out['rss_after']['total_kib'] / 1024:.0f} MiB", flush=True)
    return out


def run_under_attack(srv: serverproc.Server, token: str, args: argparse.Namespace) -> dict:
    """Issue at 16 clients again while another address holds 1,000 idle Socket.IO connections
    and 100 clients trickle their headers (``bench/attack.py``)."""
    import attack

    _, ticket = serverproc.call(
        srv.connection(), "POST", "/api/v1/tickets", token, {"site": "hall", "service": "q16"}
    )
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(
        target=attack.hold, args=(srv.port, ticket["code"], args.attack_idle, 100, theirs)
    )
    proc.start()
    held_idle, held_slow = ours.recv()
    time.sleep(2)
    run = run_load(srv, token, 16, kind="issue", service="q16", seconds=args.seconds)
    ours.send("stop")
    still = ours.recv()
    proc.join(30)
    run["attack"] = {"idle_held": held_idle, "slow_held": held_slow, "still_open": still}
    print(
        f"[under attack: {held_idle} idle sockets, {held_slow} slow clients] issue x16: {fmt(run)}",
        flush=True,
    )
    return run


def fmt(run: dict[str, Any]) -> str:
    return (
        f"{run['per_s']}/s over {run['seconds']} s, p50 {run['p50_ms']} ms, "
        f"p99 {run['p99_ms']} ms, statuses {run['statuses']}, errors {run['errors']}, "
        f"CPU server {run['server_cpu']} client {run['client_cpu']}, "
        f"server CPU {run['server_cpu_ms_per_request']} ms/request"
    )


# --- machine and report ------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version(),
    }


def pg_version() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except Exception:
        return None


def git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def table(results: dict[str, Any]) -> str:
    rows = [
        "| database | workers | load | clients | TCP_NODELAY | requests | per second | p50 ms "
        "| p99 ms | max ms | errors | server CPU (cores) | server CPU ms/request | load avg |",
        "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for db in results["databases"]:
        for r in db["runs"]:
            load = {"floor": "GET priority-groups (web stack alone)"}.get(r["kind"], r["kind"])
            if "attack" in r:
                a = r["attack"]
                load += f" while {a['idle_held']} idle sockets + {a['slow_held']} slow clients"
            load += f" (queue of {r['prefill']})" if "prefill" in r else ""
            rows.append(
                f"| {db['database']} | {db['workers']} | {load} | {r['clients']} | "
                f"{'on' if r['tcp_nodelay'] else 'off'} | {r['requests']} | {r['per_s']} | "
                f"{r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['errors']} | "
                f"{r['server_cpu']} | {r['server_cpu_ms_per_request']} | "
                f"{r['loadavg'][0]}–{r['loadavg'][1]} |"
            )
    rows += [
        "",
        "| database | workers | RSS idle: master + workers (MiB) | PSS idle (MiB) "
        "| RSS after load: master + workers (MiB) | PSS after load (MiB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]

    def mib(kib: int) -> str:
        return f"{kib / 1024:.0f}"

    for db in results["databases"]:
        idle, after = db["rss_idle"], db["rss_after"]
        rows.append(
            f"| {db['database']} | {db['workers']} | {mib(idle['master_kib'])} + "
            f"{mib(idle['worker_kib'])} | "
            f"{mib(idle['pss_total_kib'])} | {mib(after['master_kib'])} + "
            f"{mib(after['worker_kib'])} | {mib(after['pss_total_kib'])} |"
        )
    return "\n".join(rows) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "queue.json")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per level")
    parser.add_argument("--prefill", type=int, default=2000, help="tickets queued for call-next")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--workers", default="1,2", help="server processes (motcua serve --workers), a list"
    )
    parser.add_argument(
        "--message-queue",
        default="redis://127.0.0.1:6379/0",
        help="MOTCUA_MESSAGE_QUEUE when --workers is above 1",
    )
    parser.add_argument(
        "--attack",
        action="store_true",
        help="also issue at 16 clients while 127.0.0.2 holds idle sockets and slow clients",
    )
    parser.add_argument("--attack-idle", type=int, default=1000)
    parser.add_argument(
        "--attack-default-cap",
        action="store_true",
        help="attack the server as shipped: its per-address connection cap is not raised",
    )
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]

    results: dict[str, Any] = {
        "machine": machine(),
        "commit": git_commit(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "databases": [],
    }
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as tmp:
        work = Path(tmp)
        for name in args.databases.split(","):
            for workers in worker_counts:
                if name == "sqlite":
                    results["databases"].append(bench_database("sqlite", None, work, args, workers))
                elif name == "postgresql":
                    if results["machine"]["postgresql"] is None:
                        print("PostgreSQL is not running on 127.0.0.1:5432: skipped", flush=True)
                        break
                    with pg_database() as url:
                        results["databases"].append(
                            bench_database("postgresql", url, work, args, workers)
                        )
                else:
                    parser.error(f"unknown database {name!r}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    markdown = table(results)
    args.out.with_suffix(".md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"written {args.out} and {args.out.with_suffix('.md')}")
    return 0


@contextmanager
def pg_database() -> Iterator[str]:
    """A throw-away PostgreSQL database on 127.0.0.1, dropped at exit."""
    import psycopg

    name = f"motcua_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
