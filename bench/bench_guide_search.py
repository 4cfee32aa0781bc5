"""Benchmark the guide's search: hit rate on the evaluation set and time per query, for the
in-memory index the server uses, SQLite FTS5 (two ways), and the browser's MiniSearch.

    .venv/bin/python bench/bench_guide_search.py [--repeat 20]

The queries are tests/search_queries.py (what citizens type, with the procedures that answer
each); a query is a hit when an accepted code is among the first three results. Its held-out
set (written after tuning, not tuned on) is scored apart, untimed, and so is a "misspelt" set
made from the evaluation queries by swapping two letters of their longest word. Engines:

- ``memory``: kiosk.catalogue.search, the server's search (BM25F over folded text, stop words,
  word pairs, typo and prefix correction, did-you-mean).
- ``fts5-plain``: an in-memory SQLite FTS5 table over the same texts with the ``unicode61``
  tokenizer (``remove_diacritics 2``), queried with the query's words OR-ed together and ranked
  by bm25 with the same part weights: what "just use FTS5" gives.
- ``fts5-folded``: the same table filled with our folded text (đ → d, y → i), queried with our
  stop words dropped, each word also as a prefix; no typo correction (FTS5 has none).
  Both FTS5 rows look a typed procedure code up directly, as the other engines do.
- ``minisearch``: the guide's offline search in the browser (kiosk/static/guide/finder.js on
  MiniSearch), run in node over the catalogue bundle (skipped when node or npm packages are
  missing).

Results go to bench/results/guide_search.json and .md; a markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from kiosk.catalogue import Catalogue, load_catalogue  # noqa: E402
from kiosk.catalogue.bundle import guide_bundle  # noqa: E402
from kiosk.catalogue.search import index_of, normalize  # noqa: E402
from kiosk.catalogue.text import STOP_WORDS, fold  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from tests.search_queries import HELD_OUT, QUERIES  # noqa: E402

OUT = ROOT / "bench" / "results"
TOP = 3
# name, alias, English name, field, extra: the same weights as the in-memory index.
WEIGHTS = (3.0, 3.0, 1.5, 1.0, 0.5)

Search = Callable[[str], list[str]]


def parts(cat: Catalogue) -> list[tuple[str, list[str]]]:
    """Each procedure's code and its five texts, in the order of WEIGHTS."""
    out = []
    for p in cat.procedures:
        out.append(
            (
                p.code,
                [
                    p.name_vi,
                    " ; ".join(p.aliases),
                    p.name_en,
                    " ".join([*p.fields, *(cat.fields_en.get(f, "") for f in p.fields)]),
                    " ".join([p.result.vi, p.result.en or ""]),
                ],
            )
        )
    return out


def memory_engine(cat: Catalogue) -> tuple[Search, float]:
    start = time.perf_counter()
    index = index_of(cat)
    build = time.perf_counter() - start
    return (lambda q: [p.code for p in index.search(q, limit=TOP).procedures]), build


def _fts(rows: list[tuple[str, list[str]]], tokenizer: str) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE doc USING fts5("
        f"code UNINDEXED, name, alias, en, field, extra, tokenize = {tokenizer!r})"
    )
    db.executemany("INSERT INTO doc VALUES (?, ?, ?, ?, ?, ?)", [(c, *t) for c, t in rows])
    return db


def _by_code(cat: Catalogue, q: str) -> list[str] | None:
    """A query that is a procedure code ("1.001193") finds that procedure, for every engine: a
    lookup, not a matter of the text index."""
    typed = q.strip()
    if len(typed) == 8 and typed[1] == "." and (typed[0] + typed[2:]).isdigit():
        found = cat.get(typed)
        return [found.code] if found else []
    return None


def _fts_search(db: sqlite3.Connection, terms: Sequence[str]) -> list[str]:
    if not terms:
        return []
    match = " OR ".join(terms)
    weights = ", ".join(str(w) for w in WEIGHTS)
    sql = f"SELECT code FROM doc WHERE doc MATCH ? ORDER BY bm25(doc, 0, {weights}) LIMIT {TOP}"
    try:
        return [code for (code,) in db.execute(sql, (match,))]
    except sqlite3.OperationalError:
        return []


def fts_plain_engine(cat: Catalogue) -> tuple[Search, float]:
    start = time.perf_counter()
    db = _fts(parts(cat), "unicode61 remove_diacritics 2")
    build = time.perf_counter() - start

    def run(q: str) -> list[str]:
        code = _by_code(cat, q)
        if code is not None:
            return code
        words = [w for w in q.lower().replace('"', " ").split() if any(c.isalnum() for c in w)]
        return _fts_search(db, [f'"{w}"' for w in words])

    return run, build


def fts_folded_engine(cat: Catalogue) -> tuple[Search, float]:
    def fold_text(text: str) -> str:
        return " ".join(normalize(w) for w in fold(text).split())

    start = time.perf_counter()
    rows = [(code, [fold_text(t) for t in texts]) for code, texts in parts(cat)]
    db = _fts(rows, "unicode61")
    build = time.perf_counter() - start

    def run(q: str) -> list[str]:
        code = _by_code(cat, q)
        if code is not None:
            return code
        words = [normalize(w) for w in fold(q).split() if w not in STOP_WORDS]
        return _fts_search(db, [f'"{w}"*' for w in words])

    return run, build


def misspelt() -> list[tuple[str, frozenset[str]]]:
    """The evaluation queries with one typo in their longest word (two neighbouring letters
    swapped after the first), for queries with a word of five letters or more."""
    out = []
    for q, accepted in QUERIES:
        words = q.split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        w = words[longest]
        if len(w) < 5 or not w.isalpha():
            continue
        words[longest] = w[0] + w[2] + w[1] + w[3:]
        out.append((" ".join(words), accepted))
    return out


TYPOS = misspelt()


def scored(search: Search, queries: list[tuple[str, frozenset[str]]]) -> dict[str, int]:
    hits = sum(bool(set(search(q)[:TOP]) & accepted) for q, accepted in queries)
    return {"queries": len(queries), "top3_hits": hits}


def evaluate(search: Search, repeat: int) -> dict[str, Any]:
    hits = 0
    misses = []
    times: list[float] = []
    slowest = (0.0, "")
    for q, accepted in QUERIES:
        top = search(q)
        if set(top[:TOP]) & accepted:
            hits += 1
        else:
            misses.append({"q": q, "top": top[:TOP]})
        mine = []
        for _ in range(repeat):
            start = time.perf_counter()
            search(q)
            mine.append((time.perf_counter() - start) * 1000)
        times += mine
        slowest = max(slowest, (statistics.median(mine), q))
    result = summary(hits, misses, times)
    result["slowest_query"] = {"q": slowest[1], "median_ms": round(slowest[0], 3)}
    return result


def summary(hits: int, misses: list[dict[str, Any]], times_ms: list[float]) -> dict[str, Any]:
    times_ms = sorted(times_ms)
    return {
        "queries": len(QUERIES),
        "top3_hits": hits,
        "top3_rate": round(hits / len(QUERIES), 4),
        "p50_ms": round(statistics.median(times_ms), 3),
        "p99_ms": round(times_ms[min(len(times_ms) - 1, int(len(times_ms) * 0.99))], 3),
        "mean_ms": round(statistics.fmean(times_ms), 3),
        "misses": misses,
    }


def minisearch(cat: Catalogue, repeat: int) -> dict[str, Any] | None:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "minisearch").exists():
        return None
    cfg = load_config(ROOT / "config")
    bundle = guide_bundle(cat, cfg, "ct1a", today=date.today())
    with tempfile.TemporaryDirectory() as tmp:
        bundle_path = Path(tmp) / "bundle.json"
        bundle_path.write_text(json.dumps(bundle), encoding="utf-8")
        queries_path = Path(tmp) / "queries.json"
        extra = [*HELD_OUT, *TYPOS]
        typed = [[q, None] for q, _ in QUERIES] * (repeat + 1) + [[q, None] for q, _ in extra]
        queries_path.write_text(json.dumps(typed))
        out = subprocess.run(
            [node, str(ROOT / "tests" / "js" / "finder_eval.cjs"), bundle_path, queries_path],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    got = json.loads(out.stdout)
    first = got["results"][: len(QUERIES)]
    hits = 0
    misses = []
    for (q, accepted), row in zip(QUERIES, first, strict=True):
        top = row["codes"][:TOP]
        if set(top) & accepted:
            hits += 1
        else:
            misses.append({"q": q, "top": top})
    timed = got["times_ms"][len(QUERIES) : -len(extra)]
    result = summary(hits, misses, timed or got["times_ms"])
    result["build_ms"] = round(got["build_ms"], 1)
    rest = got["results"][-len(extra) :]
    found = [bool(set(row["codes"][:TOP]) & a) for (_, a), row in zip(extra, rest, strict=True)]
    result["held_out"] = {"queries": len(HELD_OUT), "top3_hits": sum(found[: len(HELD_OUT)])}
    result["misspelt"] = {"queries": len(TYPOS), "top3_hits": sum(found[len(HELD_OUT) :])}
    return result


def markdown(report: dict[str, Any]) -> str:
    machine = report["machine"]
    lines = [
        f"Evaluation set: {report['queries']} queries; hit = an accepted procedure among the "
        f"first {TOP}. Catalogue: {report['procedures']} procedures. {report['when']}, "
        f"load average {machine['load_average']:.1f} on {machine['cpus']} CPUs.",
        "",
        "| engine | top-3 | rate | held-out | misspelt | mean ms | p50 ms | p99 ms | build ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in report["engines"].items():
        if row is None:
            lines.append(f"| {name} | skipped | | | | | | | |")
            continue
        lines.append(
            f"| {name} | {row['top3_hits']}/{row['queries']} | {row['top3_rate']:.1%} | "
            f"{row['held_out']['top3_hits']}/{row['held_out']['queries']} | "
            f"{row['misspelt']['top3_hits']}/{row['misspelt']['queries']} | "
            f"{row['mean_ms']} | {row['p50_ms']} | {row['p99_ms']} | {row['build_ms']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each query")
    args = parser.parse_args(argv)
    cat = load_catalogue(ROOT / "config" / "procedures.yaml")
    assert cat is not None
    engines: dict[str, Any] = {}
    for name, make in [
        ("memory", memory_engine),
        ("fts5-plain", fts_plain_engine),
        ("fts5-folded", fts_folded_engine),
    ]:
        search, build = make(cat)
        row = evaluate(search, args.repeat)
        row["build_ms"] = round(build * 1000, 1)
        row["held_out"] = scored(search, HELD_OUT)
        row["misspelt"] = scored(search, TYPOS)
        engines[name] = row
    engines["minisearch"] = minisearch(cat, args.repeat)
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": {
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(),
            "load_average": round(os.getloadavg()[0], 2),
        },
        "queries": len(QUERIES),
        "procedures": len(cat.procedures),
        "engines": engines,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "guide_search.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    table = markdown(report)
    (OUT / "guide_search.md").write_text(table, encoding="utf-8")
    print(table)
    for name, row in engines.items():
        for miss in (row or {}).get("misses", [])[:8]:
            print(f"  {name} missed: {miss['q']!r} -> {miss['top']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
