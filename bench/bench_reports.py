"""Benchmark the reports on a year of history: every ``GET /api/v1/reports`` grouping over a
year and over a month, the whole ``/reports`` page data (every table) and the XLSX workbook
of a month, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_reports.py [--days 365] [--repeat 5] [--databases sqlite]

Each database is filled by ``motcua demo --history DAYS`` (the demo configuration: three
sites, about 220,000 tickets for 365 business days; the fill is timed too), then each query is
run ``--repeat`` times and the median and worst kept. Targets: each report query < 0.5 s, the
XLSX of a month < 2 s. Results: bench/results/reports.json and reports.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from kiosk.dbsetup import load_config, upgrade  # noqa: E402
from kiosk.demo import create_demo  # noqa: E402
from kiosk.demo_history import fill_history  # noqa: E402
from kiosk.domain.clock import business_day  # noqa: E402
from kiosk.domain.reports import GROUPINGS, Filters, ReportQuery, build_report  # noqa: E402
from kiosk.reporting.files import workbook  # noqa: E402
from kiosk.reporting.summary import summarise_range  # noqa: E402
from kiosk.reporting.tables import build_tables  # noqa: E402
from kiosk.services import build  # noqa: E402

OUT = ROOT / "bench" / "results"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
QUERY_TARGET_S, XLSX_TARGET_S = 0.5, 2.0
FILTERS: dict[str, Any] = {
    "service": "chungthuc",
    "priority": "none",
    "counter": 1,
    "officer": "canbo1",
}


def timed(fn: Any, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(runs), 4), "max_s": round(max(runs), 4)}


def bench_database(url: str, days: int, repeat: int, instance: Path) -> dict[str, Any]:
    core = build(database_url=url, instance=str(instance), config=str(ROOT / "config"))
    upgrade(core.db)
    load_config(core.db, core.config)
    create_demo(core)
    start = time.perf_counter()
    lines = list(fill_history(core, days))
    fill_s = time.perf_counter() - start
    tickets = sum(int(line.split(": ")[1].split()[0]) for line in lines)
    today = business_day(core.clock)
    year = (today - timedelta(days=365), today - timedelta(days=1))
    month = (today - timedelta(days=30), today - timedelta(days=1))
    rows: list[dict[str, Any]] = []
    load = os.getloadavg()[0]
    for span, (first, last) in (("year", year), ("month", month)):
        for by in GROUPINGS:
            q = ReportQuery("hall", first, last, by)

            def run(q: ReportQuery = q) -> None:
                summarise_range(core.db, core.config, core.clock, q)  # as the endpoint does
                with core.db.read() as s:
                    build_report(s, core.config, core.clock, q, None)

            rows.append({"what": f"api by={by}", "range": span, **timed(run, repeat)})
        q = ReportQuery("hall", first, last)
        if span == "year":  # and with each kind of filter (the hall's busiest service)
            for name, value in FILTERS.items():
                for by in GROUPINGS:
                    one = ReportQuery("hall", first, last, by, Filters(**{name: value}))
                    what = f"api by={by}, {name}={value}"
                    rows.append({"what": what, "range": span, **timed(partial(run, one), repeat)})

        def page(q: ReportQuery = q) -> Any:
            summarise_range(core.db, core.config, core.clock, q)
            with core.db.read() as s:
                return build_tables(s, core.config, core.clock, q, None, "vi", ["ct1a", "ct1b2"])

        rows.append({"what": "page (every table)", "range": span, **timed(page, repeat)})
    q = ReportQuery("hall", *month)

    def xlsx() -> None:
        found = page(q)
        workbook(found.tables, ["bench"])

    rows.append({"what": "xlsx (every table)", "range": "month", **timed(xlsx, repeat)})
    size = len(workbook(page(q).tables, ["bench"]))
    core.db.dispose()
    for row in rows:  # the page is many queries: timed, without a target of its own
        what = row["what"]
        target = XLSX_TARGET_S if what.startswith("xlsx") else QUERY_TARGET_S
        row["target_s"] = None if what.startswith("page") else target
        row["ok"] = row["max_s"] < target
    return {
        "tickets": tickets,
        "fill_s": round(fill_s, 1),
        "xlsx_bytes": size,
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "rows": rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "days": args.days,
        "databases": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.databases.split(","):
            if name == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
                results["databases"][name] = bench_database(url, args.days, args.repeat, Path(tmp))
                continue
            try:
                import psycopg

                db = f"motcua_bench_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{db}"')
            except Exception as exc:  # no server: say so and go on
                results["databases"][name] = {"skipped": str(exc)}
                continue
            try:
                url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"
                results["databases"][name] = bench_database(url, args.days, args.repeat, Path(tmp))
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reports.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "| database | what | range | median s | max s | target s |",
        "|---|---|---|---:|---:|---:|",
    ]
    for name, found in results["databases"].items():
        for row in found.get("rows", []):
            lines.append(
                f"| {name} | {row['what']} | {row['range']} | {row['median_s']:.3f} | "
                f"{row['max_s']:.3f} | {row['target_s'] or '–'} |"
            )
        if "tickets" in found:
            lines.append(
                f"| {name} | fill: {found['tickets']} tickets | {args.days} days | "
                f"{found['fill_s']} | | |"
            )
    table = "\n".join(lines) + "\n"
    (OUT / "reports.md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
