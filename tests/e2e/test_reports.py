"""/reports in a real browser on ten days of demo history: periods, a filter, the charts
drawn, an export link that downloads, English, and the monthly A4 summary printed to one
page. Screenshots: docs/screenshots/reports-vi.png, reports-en.png, reports-summary-a4.png
(written there only by scripts/screenshots)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests import serverproc
from tests.e2e.conftest import REPO, login, new_page, screenshots_dir

pytestmark = pytest.mark.e2e
WIDE = {"width": 1440, "height": 1000}


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serverproc.Server]:
    base = tmp_path_factory.mktemp("reports")
    server = serverproc.Server(base / "instance", config=REPO / "config", printer="dummy")
    try:
        server.init_db()
        out = server.cli("demo", "--history", "10", timeout=120)
        assert "history: hall:" in out
        server.cli("user", "add", "sep", "--role", "supervisor", stdin=serverproc.PASSWORD + "\n")
        server.start()
        yield server
    finally:
        server.stop()


def full_shot(page: Any, name: str) -> None:
    page.screenshot(path=str(screenshots_dir() / f"{name}.png"), full_page=True, timeout=60_000)


def test_reports_page_periods_filter_charts_exports(browser: Any, history: Any) -> None:
    page = new_page(browser, WIDE)
    try:
        login(page, history, "sep", next_path="/reports")
        page.wait_for_selector("#chart-hour[data-ready='1']")
        page.select_option("#period", "year")
        page.click("#report-filters button[type=submit]")
        page.wait_for_url("**period=year**")
        page.wait_for_selector("#chart-day[data-ready='1']")
        issued = int(page.inner_text(".kpi .value").strip())
        assert issued > 1000  # ten business days of the hall
        rows = page.locator("#table-counter tbody tr")
        assert rows.count() >= 8
        full_shot(page, "reports-vi")

        page.select_option("select[name=service]", "traketqua")
        page.click("#report-filters button[type=submit]")
        page.wait_for_url("**service=traketqua**")
        page.wait_for_selector("#chart-service[data-ready='1']")
        filtered = int(page.inner_text(".kpi .value").strip())
        assert 0 < filtered < issued

        href = page.get_attribute("#table-service .export-csv", "href")
        reply = page.request.get(history.url + href)
        assert reply.status == 200 and reply.headers["content-type"].startswith("text/csv")
        assert f",{filtered}," in reply.text().splitlines()[-1]  # the totals line
        xlsx = page.request.get(history.url + page.get_attribute("#export-all", "href"))
        assert xlsx.status == 200 and xlsx.body()[:2] == b"PK"

        page.goto(page.url + "&lang=en")
        page.wait_for_selector("#chart-hour[data-ready='1']")
        assert "Per counter (latest call)" in page.content()
        page.select_option("select[name=service]", "")
        page.click("#report-filters button[type=submit]")
        page.wait_for_selector("#chart-hour[data-ready='1']")
        full_shot(page, "reports-en")

        assert page.get_attribute("#summary-link", "href").startswith("/reports/summary?site=hall")
        last_week = (date.today() - timedelta(days=7)).strftime("%Y-%m")  # has history
        page.goto(f"{history.url}/reports/summary?site=hall&month={last_week}")
        assert "BÁO CÁO TÌNH HÌNH TIẾP NHẬN" in page.inner_text("h1")
        page.screenshot(
            path=str(screenshots_dir() / "reports-summary-a4.png"), full_page=True, timeout=60_000
        )
        pdf = page.pdf(format="A4", print_background=True)
        pages = [int(n) for n in re.findall(rb"/Count (\d+)", pdf)]
        assert pages and max(pages) == 1, pages  # the month fits one A4 page
    finally:
        page.context.close()
