"""Benchmark the ticket printer path: render time, job size, and time on a slow serial link.

    .venv/bin/python bench/bench_print.py [--tickets 200] [--seed 7]

For 80 mm (TM-T20II, 576 dots) and 58 mm (POS-5890, 384 dots) paper, in ``full`` and
``compact`` mode, it renders the same varied tickets and reports p50/p99 of the time for the
image alone (layout) and for the whole ESC/POS job (layout + encoding), the job size, and the
time one job needs on a 115200-baud 8N1 serial line (bytes x 10 / 115200). Results go to
bench/results/print.json; a markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from kiosk.domain.waits import wait_minutes  # noqa: E402
from printer.escpos_bytes import render_escpos, render_preview  # noqa: E402
from printer.layout import TicketSlip  # noqa: E402
from printer.samples import sample_ticket  # noqa: E402
from printer.spec import parse_printer_uri  # noqa: E402

BAUD = 115_200
PAPERS = {"80mm": "TM-T20II", "58mm": "POS-5890"}
MODES = ("full", "compact")
# (prefix, name, English name, counters, same-day service: the cut-off line is printed)
SERVICES = [
    (
        "A",
        "Chứng thực bản sao từ bản chính, chữ ký, hợp đồng",
        "Certification",
        ("Quầy 1", "Quầy 2"),
        True,
    ),
    ("B", "Hộ tịch – Đăng ký khai sinh, kết hôn, khai tử", "Civil status", ("Quầy 3",), True),
    ("C", "Đất đai – Xây dựng", "Land and construction", ("Quầy 4",), False),
    (
        "D",
        "Lao động – TBXH, người có công",
        "Labour and social protection",
        ("Quầy 5", "Quầy 6"),
        False,
    ),
    ("E", "Hộ kinh doanh", "Household business", ("Quầy 6",), False),
    ("H", "Hỗ trợ dịch vụ công trực tuyến", "Online-service help", ("Quầy 7",), False),
    ("K", "Trả kết quả", "Result pick-up", ("Quầy 8",), False),
]
PRIORITY = [
    ("Người cao tuổi", "Older people"),
    ("Người khuyết tật", "People with disabilities"),
    ("Phụ nữ mang thai, người nuôi con nhỏ", "Pregnant women, parents of infants"),
]
PROCEDURES = [
    ("Đăng ký thường trú", "Permanent residence registration"),
    ("Cấp bản sao trích lục hộ tịch", "Copy of a civil status extract"),
    ("Chứng thực hợp đồng", "Certification of a contract"),
]


def make_tickets(count: int, seed: int) -> list[TicketSlip]:
    """``count`` varied, realistic tickets (same seed, same tickets): one in five in English,
    about one in seven for priority, one in five with a procedure, same-day services with the
    cut-off line, waits from none to 90 minutes rounded as citizens see them."""
    rng = random.Random(seed)
    base = sample_ticket()
    tickets = []
    for i in range(count):
        prefix, name, name_en, counters, same_day = rng.choice(SERVICES)
        english = rng.random() < 0.2
        group = rng.choice(PRIORITY) if rng.random() < 0.15 else None
        procedure = rng.choice(PROCEDURES) if rng.random() < 0.2 else None
        wait_s = None if rng.random() < 0.1 else rng.randint(0, 5400)
        tickets.append(
            TicketSlip(
                header_lines=base.header_lines,
                site_name=base.site_name,
                number=f"{prefix}{rng.randint(1, 999):03d}",
                service_vi=name,
                service_en=name_en,
                language="en" if english else "vi",
                issued_at=base.issued_at + timedelta(minutes=3 * i),
                ahead=rng.randint(0, 60),
                wait_minutes=wait_minutes(wait_s),
                counters=tuple(c.replace("Quầy", "Counter") for c in counters)
                if english
                else counters,
                track_url=f"https://motcua.example.vn/t/{rng.randbytes(8).hex()[:14]}",
                priority_label=("PRIORITY" if english else "ƯU TIÊN") if group else None,
                priority_group=(group[1] if english else group[0]) if group else None,
                procedure=(procedure[1] if english else procedure[0]) if procedure else None,
                cutoff=clock_time(15, 0) if same_day else None,
            )
        )
    return tickets


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def measure(tickets: list[TicketSlip], others: list[TicketSlip], uri: str) -> dict[str, Any]:
    """Time whole jobs over ``tickets`` and images alone over ``others``.

    Two different sets, so that neither timing profits from the other having measured the
    same ticket's lines; lines every ticket shares (the header) stay warm, as in production.
    """
    spec = parse_printer_uri(uri)
    for slip in others[-5:]:  # warm up: fonts, the profile, the shared lines
        render_escpos(slip, spec)
    job_ms, sizes = [], []
    for slip in tickets:
        started = time.perf_counter()
        data = render_escpos(slip, spec)
        job_ms.append((time.perf_counter() - started) * 1000)
        sizes.append(len(data))
    layout_ms = []
    for slip in others:
        started = time.perf_counter()
        render_preview(slip, spec)
        layout_ms.append((time.perf_counter() - started) * 1000)
    return {
        "printer": uri,
        "tickets": len(tickets),
        "layout_ms": {"p50": percentile(layout_ms, 50), "p99": percentile(layout_ms, 99)},
        "job_ms": {"p50": percentile(job_ms, 50), "p99": percentile(job_ms, 99)},
        "bytes": {
            "p50": percentile(sizes, 50),
            "mean": round(statistics.fmean(sizes)),
            "max": max(sizes),
        },
        "serial_115200_s": {
            "p50": percentile(sizes, 50) * 10 / BAUD,
            "max": max(sizes) * 10 / BAUD,
        },
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| paper | mode | layout p50 / p99 (ms) | job p50 / p99 (ms) | bytes p50 / max "
        "| 115200 baud p50 / max (s) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['paper']} | {r['mode']} "
            f"| {r['layout_ms']['p50']:.1f} / {r['layout_ms']['p99']:.1f} "
            f"| {r['job_ms']['p50']:.1f} / {r['job_ms']['p99']:.1f} "
            f"| {r['bytes']['p50']:,} / {r['bytes']['max']:,} "
            f"| {r['serial_115200_s']['p50']:.2f} / {r['serial_115200_s']['max']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "print.json")
    args = parser.parse_args(argv)

    rows = []
    for paper, profile in PAPERS.items():
        for mode in MODES:
            # Fresh tickets for every configuration: no run profits from an earlier one.
            run = len(rows)
            tickets = make_tickets(args.tickets, args.seed * 100 + 2 * run)
            others = make_tickets(args.tickets, args.seed * 100 + 2 * run + 1)
            row = measure(tickets, others, f"dummy?profile={profile}&mode={mode}")
            rows.append({"paper": paper, "mode": mode, **row})
    result = {
        "benchmark": "print",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "seed": args.seed,
        "baud": BAUD,
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".tmp")
    partial.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(args.out)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
