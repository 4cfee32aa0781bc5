"""Benchmark what operations cost on a database with a year of use: a backup, a restore, and a
``/metrics`` scrape (plus what counting one HTTP response adds to every request).

    .venv/bin/python bench/bench_ops.py [--days 250] [--per-day 600] [--scrapes 50]

The database gets ``days`` past business days of ``per-day`` finished tickets and one day in
progress (``per-day`` tickets, most called, some waiting), on SQLite and, when PostgreSQL
answers on 127.0.0.1:5432, on PostgreSQL. Backup and restore go through the real commands
(the functions behind ``motcua backup`` and ``motcua restore --force``, without the command's
own start, about a second of imports); the scrape through the Flask app. Results go
to bench/results/ops.json; a markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from sqlalchemy import create_engine, insert  # noqa: E402

from kiosk.models import Ticket  # noqa: E402

CAST = ROOT / "tests" / "cast"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def tickets(days: int, per_day: int, today: datetime) -> Iterator[dict[str, Any]]:
    """Finished tickets of past days, then today's (called or waiting)."""
    n = 0
    for back in range(days, -1, -1):
        day = (today - timedelta(days=back)).date()
        start = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)
        for i in range(per_day):
            n += 1
            service = ("cert", "civil")[i % 2]
            issued = start + timedelta(seconds=30 * i)
            done = back > 0 or i < per_day * 5 // 6
            yield {
                "code": f"bench{n:010d}",
                "site": "hall",
                "service": service,
                "origin_service": service,
                "business_day": day,
                "seq": i // 2 + 1,
                "number": f"{'AB'[i % 2]}{i // 2 + 1:03d}",
                "status": "done" if done else "waiting",
                "issued_at": issued,
                "order_at": issued,
                "called_at": issued + timedelta(seconds=60 + (i * 37) % 1800) if done else None,
                "finished_at": issued + timedelta(seconds=2400) if done else None,
                "counter": 1 if done else None,
                "recalls": 0,
                "print_status": "printed",
            }


def fill(url: str, days: int, per_day: int, today: datetime) -> int:
    engine = create_engine(url)
    rows = list(tickets(days, per_day, today))
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Ticket), rows[i : i + 5000])
    engine.dispose()
    return len(rows)


@contextmanager
def pg_database() -> Iterator[str | None]:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2, autocommit=True) as conn:
            name = f"motcua_bench_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception:
        yield None
        return
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_one(kind: str, url: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from kiosk import create_app
    from kiosk.dbsetup import load_config, upgrade
    from kiosk.domain.clock import FixedClock

    now = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    app = create_app(
        {
            "instance": str(work / "instance"),
            "config": str(CAST),
            "database_url": url,
            "secret_key": "bench",
            "clock": FixedClock(now),
            "testing": True,
        }
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    load_config(m.db, m.config)
    count = fill(url, args.days, args.per_day, now)

    client = app.test_client()
    client.get("/metrics")  # warm up
    times = []
    for _ in range(args.scrapes):
        started = time.perf_counter()
        response = client.get("/metrics")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    m.db.dispose()

    from alembic.script import ScriptDirectory

    from kiosk import backup
    from kiosk.db import Database
    from kiosk.dbsetup import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config(url))
    known = {rev.revision for rev in scripts.walk_revisions()}
    db = Database(url)
    started = time.perf_counter()
    done = backup.take(db, work / "backups", now)
    backup_s = time.perf_counter() - started
    started = time.perf_counter()
    backup.restore(db, done.path, known, scripts.get_current_head(), force=True)
    restore_s = time.perf_counter() - started
    db.dispose()
    file = done.path
    return {
        "database": kind,
        "tickets": count,
        "backup_s": round(backup_s, 2),
        "backup_mb": round(file.stat().st_size / 2**20, 1),
        "restore_s": round(restore_s, 2),
        "scrape_ms_p50": round(statistics.median(times), 1),
        "scrape_ms_p99": round(sorted(times)[int(len(times) * 0.99) - 1], 1),
    }


def counter_cost_us() -> float:
    """What counting one HTTP response costs in multiprocess mode (a fresh process: the mode is
    chosen when prometheus_client is first imported)."""
    with tempfile.TemporaryDirectory() as folder:
        code = (
            "import timeit\n"
            "from kiosk.metrics import _Instruments\n"
            "c = _Instruments.get().responses\n"
            "print(timeit.timeit(lambda: c.labels('201').inc(), number=100000) / 100000 * 1e6)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": folder},
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return round(float(out), 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--per-day", type=int, default=600)
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "sqlite"
        work.mkdir()
        results.append(run_one("SQLite", f"sqlite:///{work / 'bench.sqlite3'}", work, args))
        with pg_database() as pg_url:
            if pg_url:
                work = Path(tmp) / "postgresql"
                work.mkdir()
                results.append(run_one("PostgreSQL", pg_url, work, args))
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "load_average": os.getloadavg()[0],
        "days": args.days,
        "per_day": args.per_day,
        "results": results,
        "response_counter_us": counter_cost_us(),
    }
    out = ROOT / "bench" / "results" / "ops.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("| database | tickets | backup | size | restore | /metrics p50 | p99 |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['database']} | {r['tickets']:,} | {r['backup_s']} s | {r['backup_mb']} MB | "
            f"{r['restore_s']} s | {r['scrape_ms_p50']} ms | {r['scrape_ms_p99']} ms |"
        )
    print(f"\ncounting one HTTP response: {report['response_counter_us']} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
