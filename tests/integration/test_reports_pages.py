"""/reports, its CSV and XLSX exports and the A4 summary, on the hand-computed story: the
files, parsed back with the csv module and openpyxl, hold the API's numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from tests import reports_cast as story
from tests.conftest import Actions
from tests.integration.test_console import login

RANGE = f"site=hall&from={story.D1}&to={story.D2}"
GROUPS = ("service", "counter", "officer", "hour", "day", "priority")


@pytest.fixture
def boss(actions: Actions, clock: Any) -> Iterator[Actions]:
    story.play(actions, clock)
    actions.boss = actions.user("boss", "supervisor", site="hall")  # type: ignore[attr-defined]
    login(actions.client, "boss")
    yield actions


def api_rows(a: Actions, by: str) -> list[list[Any]]:
    """The API's rows and totals flattened the way the files lay them out (label aside)."""
    body = a.client.get(
        f"/api/v1/reports?{RANGE}&by={by}",
        headers=a.auth(a.boss),  # type: ignore[attr-defined]
    ).get_json()

    def flat(f: dict[str, Any]) -> list[Any]:
        w, v, r = f["wait_s"], f["service_s"], f["ratings"]
        return [
            f["issued"], f["served"], f["no_show"], f["cancelled"], f["transferred"],
            w["avg"], w["median"], w["p90"], v["avg"], v["median"], v["p90"],
            f["service_level"], r["count"], r["avg"],
        ]  # fmt: skip

    return [flat(row) for row in body["rows"]] + [flat(body["totals"])]


def number(text: str) -> Any:
    if text == "":
        return None
    return float(text) if "." in text else int(text)


def test_every_grouped_csv_holds_the_api_numbers(boss: Actions) -> None:
    for by in GROUPS:
        reply = boss.client.get(f"/reports/export?{RANGE}&table={by}&format=csv")
        assert reply.status_code == 200 and reply.mimetype == "text/csv"
        assert reply.headers["Content-Disposition"].endswith(f'-{by}.csv"')
        text = reply.get_data(as_text=True)
        assert text.startswith("\ufeff")
        lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        got = [[number(v) for v in line[1:]] for line in lines[1:]]
        assert got == api_rows(boss, by), by
        assert lines[-1][0] == "Tổng"


def test_the_workbook_holds_the_api_numbers_and_every_table(boss: Actions) -> None:
    reply = boss.client.get(f"/reports/export?{RANGE}&format=xlsx&lang=en")
    assert reply.status_code == 200
    book = load_workbook(io.BytesIO(reply.data), read_only=True)
    names = book.sheetnames
    assert names == [*GROUPS, "counter_use", "pauses", "reasons", "attitude", "guide"]
    for by in GROUPS:
        values = [list(r) for r in book[by].iter_rows(values_only=True)]
        header = next(i for i, r in enumerate(values) if len(r) > 1 and r[1] == "Issued")
        body = [(r[1:] + [None] * 14)[:14] for r in values[header + 1 :]]  # trailing blanks
        assert body == api_rows(boss, by), by
    use = [list(r) for r in book["counter_use"].iter_rows(values_only=True)]
    # Counter 1: T1, T4, T5 done (busy 300 + 1200 + 1500); staffed D1 00:10–00:15 (300) and
    # D2 09:40–11:30 (6600); paused 480: 3000 / (6900 − 480).
    assert ["Quầy 1", 3, 3000, 6900, 480, round(3000 / 6420, 4)] in use
    pauses = [list(r) for r in book["pauses"].iter_rows(values_only=True)]
    assert ["Nghỉ giải lao", 1, 480] in pauses
    attitude = [list(r) for r in book["attitude"].iter_rows(values_only=True)]
    assert ["anna", 1] in attitude
    reasons = [list(r) for r in book["reasons"].iter_rows(values_only=True)]
    assert ["Long wait", 1] in reasons and ["Staff attitude", 1] in reasons


def test_page_in_both_languages_and_the_a4_summary(boss: Actions) -> None:
    page = boss.client.get(f"/reports?period=custom&from={story.D1}&to={story.D2}")
    assert page.status_code == 200
    text = page.text
    assert "Theo quầy (lần gọi cuối)" in text and "Chưa được gọi" in text
    assert 'id="chart-hour"' in text and "vendor/chart.umd.min.js" in text
    assert "14:00" in text and "80,0 %" in text  # mean wait 840 s; service level 0.8
    en = boss.client.get(f"/reports?period=custom&from={story.D1}&to={story.D2}&lang=en").text
    assert "Per counter (latest call)" in en and "80.0 %" in en and "Never called" in en
    week = boss.client.get(f"/reports?period=week&date={story.D2}&lang=en")
    assert week.status_code == 200 and "23/11/2026" in week.text and "29/11/2026" in week.text
    summary = boss.client.get("/reports/summary?site=hall&month=2026-11")
    assert summary.status_code == 200
    assert "BÁO CÁO TÌNH HÌNH TIẾP NHẬN" in summary.text and "@page" not in summary.text
    assert ">7<" in summary.text.replace(" ", "")  # 7 tickets issued in November


@pytest.mark.parametrize(
    "path, status",
    [
        ("/reports?period=custom&from=2026-11-30&to=2026-11-01", 422),
        ("/reports?period=custom&from=2020-01-01&to=2026-11-01", 422),
        ("/reports?period=decade", 422),
        ("/reports?period=day&date=2026-02-31", 422),
        ("/reports?site=annex", 403),
        ("/reports?site=nowhere", 404),
        ("/reports?counter=%EF%BC%91", 422),
        ("/reports/export?table=nope&format=csv", 422),
        ("/reports/export?format=csv", 422),
        ("/reports/export?table=day&format=pdf", 422),
        ("/reports/summary?month=2026-13", 422),
        ("/reports/summary?month=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-11", 422),
    ],
)
def test_bad_page_parameters_are_4xx(boss: Actions, path: str, status: int) -> None:
    assert boss.client.get(path).status_code == status
