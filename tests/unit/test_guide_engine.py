"""The guide's in-browser engine gives the server's answers: the wizard and fees (engine.js)
for every procedure and every mix of yes, no, "not sure" and unanswered, on days around each fee
window; and the browser search (finder.js over MiniSearch) on the evaluation set. Runs Node."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.catalogue import Catalogue, load_catalogue, present
from kiosk.catalogue.bundle import guide_bundle
from kiosk.catalogue.checklist import checklist
from kiosk.catalogue.fees import describe_fee
from kiosk.catalogue.model import ByAnswer
from kiosk.config import load_config
from tests.search_queries import HELD_OUT, QUERIES

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 3)
AIM = 0.95


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("node is required in CI (scripts/install provides it)")
        pytest.skip("node is not installed")
    if not (ROOT / "node_modules" / "minisearch").exists():
        pytest.skip("npm packages are not installed (npm ci)")
    return found


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(ROOT / "config" / "procedures.yaml")


@pytest.fixture(scope="module")
def bundle_file(cat: Catalogue, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = load_config(ROOT / "config")
    path = tmp_path_factory.mktemp("bundle") / "bundle.json"
    path.write_text(json.dumps(guide_bundle(cat, cfg, "ct1a", today=TODAY)), encoding="utf-8")
    return path


def run_node(node: str, script: str, *files: Path) -> Any:
    out = subprocess.run(
        [node, str(ROOT / "tests" / "js" / script), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout)


def days(cat: Catalogue) -> list[date]:
    found = {TODAY, TODAY + timedelta(days=400)}
    for p in cat.procedures:
        if isinstance(p.fee.rule, ByAnswer):
            for case in p.fee.rule.cases:
                for day in (case.valid_from, case.valid_to):
                    if day is not None and day >= TODAY:
                        found |= {day, day + timedelta(days=1)}
    return sorted(found)


def test_the_wizard_and_fees_match_the_server(
    node: str, cat: Catalogue, bundle_file: Path, tmp_path: Path
) -> None:
    cases, expected = [], []
    for p in cat.procedures:
        ids = [q.id for q in p.wizard]
        for values in itertools.product((True, False, None, "unsure"), repeat=len(ids)):
            answers = {i: v for i, v in zip(ids, values, strict=True) if isinstance(v, bool)}
            unsure = [i for i, v in zip(ids, values, strict=True) if v == "unsure"]
            for day in days(cat) if isinstance(p.fee.rule, ByAnswer) else [TODAY]:
                pages, copies = (3, 2) if p.fee.inputs else (None, None)
                result = checklist(p, answers, today=day, pages=pages, copies=copies, unsure=unsure)
                cases.append(
                    {
                        "code": p.code,
                        "answers": answers,
                        "unsure": unsure,
                        "day": day.isoformat(),
                        "pages": pages,
                        "copies": copies,
                    }
                )
                lines = [{"vi": t.vi, "en": t.en} for t in describe_fee(p.fee, day).lines]
                expected.append({"checklist": present.checklist(cat, p, result), "lines": lines})
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases), encoding="utf-8")
    got = run_node(node, "engine_parity.cjs", bundle_file, path)
    assert len(got) == len(expected) > 5_000
    for case, want, have in zip(cases, expected, got, strict=True):
        assert have["checklist"] == want["checklist"], case
        assert have["fee_lines"] == want["lines"], case


@pytest.mark.parametrize("queries", [QUERIES, HELD_OUT], ids=["evaluation", "held-out"])
def test_the_browser_search_meets_the_aim(
    node: str, bundle_file: Path, tmp_path: Path, queries: list[tuple[str, frozenset[str]]]
) -> None:
    path = tmp_path / "queries.json"
    path.write_text(json.dumps([[q, None] for q, _ in queries]), encoding="utf-8")
    got = run_node(node, "finder_eval.cjs", bundle_file, path)
    misses = [
        (q, r["codes"][:3])
        for (q, accepted), r in zip(queries, got["results"], strict=True)
        if not set(r["codes"][:3]) & accepted
    ]
    assert 1 - len(misses) / len(queries) >= AIM, misses


def test_the_browser_search_corrects_and_filters(
    node: str, bundle_file: Path, tmp_path: Path
) -> None:
    queries = [
        ["khaisinh", None],
        ["dangkykethon", None],
        ["kew", None],
        ["", "Chứng thực"],
        ["1.001193", None],
        ["qqqqqqq", None],
    ]
    path = tmp_path / "queries.json"
    path.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    results = run_node(node, "finder_eval.cjs", bundle_file, path)["results"]
    assert (results[0]["codes"][0], results[0]["did_you_mean"]) == ("1.001193", "khai sinh")
    assert results[1]["did_you_mean"] == "đăng ký kết hôn"
    assert results[2]["suggestion_only"] is True and results[2]["codes"][0] == "1.000894"
    assert results[3]["codes"][0] == "2.000815" and len(results[3]["codes"]) == 8
    assert results[4]["codes"] == ["1.001193"]
    assert results[5]["codes"] == []
