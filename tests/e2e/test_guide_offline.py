"""A support point loses its link: the guide goes on with the server really stopped.

A kiosk browser at CT1A opens the guide while the server runs; then the server process is
stopped. The citizen can still search, open a procedure, answer the wizard and see the papers
and the fee, under a plain "đang ngoại tuyến" notice; actions that need the server are hidden.
"Kết thúc" reloads the page from the service worker's copy. The views counted meanwhile wait in
the browser and reach the server once it is back. Nothing personal is kept between citizens.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import serverproc
from tests.e2e.conftest import REPO, enroll, new_page, shot

pytestmark = pytest.mark.e2e


@pytest.fixture
def point(tmp_path: Path) -> Iterator[serverproc.Server]:
    """The demo configuration on its own server, which this test stops and starts."""
    spool = tmp_path / "spool"
    spool.mkdir()
    server = serverproc.Server(
        tmp_path / "instance", config=REPO / "config", printer=f"spool:{spool}"
    )
    try:
        server.init_db()
        server.start()
        yield server
    finally:
        server.stop()


def views(server: serverproc.Server) -> dict[str, int]:
    """Viewed counts per procedure, read from the server's SQLite file."""
    with sqlite3.connect(server.instance / "motcua.sqlite3") as db:
        rows = db.execute(
            "SELECT procedure, SUM(count) FROM usage_counts"
            " WHERE event = 'viewed' GROUP BY procedure"
        ).fetchall()
    return dict(rows)


def wait_for(page: Any, check: str, timeout: float = 20) -> None:
    """Poll a page condition from here (the page's CSP refuses eval-based waits)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(check):
        assert time.monotonic() < deadline, check
        page.wait_for_timeout(100)


def test_the_guide_keeps_working_with_the_server_stopped(
    browser: Any, point: serverproc.Server
) -> None:
    token = point.device_token("kiosk-ct1a-1", kind="kiosk", site="ct1a")
    page = new_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    enroll(page, point, token)
    page.goto(f"{point.url}/guide?site=ct1a&lang=vi")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    # The service worker controls the page and has kept the page, the bundle and the QR codes.
    wait_for(page, "!!navigator.serviceWorker.controller")
    expect(page.locator("body")).to_have_attribute("data-offline-ready", "1", timeout=30_000)
    expect(page.locator("[data-slot=offline]")).to_be_hidden()

    point.stop()

    # Search in the citizen's own words, in the browser.
    page.locator("#q").fill("giay chung tu")
    first = page.locator("[data-slot=found-list] .proc-row").first
    expect(first).to_contain_text("Đăng ký khai tử", use_inner_text=True)
    first.click()
    expect(page.locator("[data-slot=p-name]")).to_have_text("Đăng ký khai tử", use_inner_text=True)
    # The view could not be sent: the page now knows it is offline and says so plainly.
    expect(page.locator("body")).to_have_attribute("data-link", "offline")
    banner = page.locator("[data-slot=offline]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Đang ngoại tuyến", use_inner_text=True)
    expect(page.locator(".foot [data-action=volunteer]")).to_be_hidden()
    expect(page.locator("[data-slot=p-fee]")).to_contain_text("Đăng ký quá 15 ngày: 5.000")
    shot(page, "guide-offline-portrait-vi")

    # The wizard, the papers and the fee.
    page.locator("#procedure .cta-row [data-action=wizard]").click()
    for value in ("0", "1", "0", "0"):
        page.locator(f"#wizard [data-action=answer][data-value='{value}']").click()
    expect(page.locator("#checklist")).to_be_visible()
    expect(page.locator("[data-slot=c-papers] li")).to_have_count(2)
    expect(page.locator("[data-slot=c-fee]")).to_contain_text("5.000", use_inner_text=True)
    expect(page.locator("#checklist [data-action=print]")).to_be_hidden()
    # A procedure the page never opened while online works too, QR code included.
    page.locator(".bar [data-action=lang]").click()  # English, offline
    page.locator("#checklist [data-action=back]").click()
    page.locator("#procedure [data-action=back]").click()
    page.locator("#q").fill("certified copy")
    expect(first).to_contain_text("Certified copy", use_inner_text=True)
    first.click()
    expect(page.locator("[data-slot=p-name]")).to_contain_text("Certified copy")
    wait_for(page, "document.querySelector('[data-slot=p-qr]').naturalWidth > 100")
    wait_for(page, "GuideLink.queued().then(items => items.length === 2)")

    # "Kết thúc": the next citizen gets a fresh page from the service worker's copy, in
    # Vietnamese, with nothing of the previous citizen.
    page.locator(".bar [data-action=end]").click()
    page.wait_for_url(f"{point.url}/guide?site=ct1a&lang=vi")
    expect(page.locator("body")).to_have_attribute("data-ready", "1")
    expect(page.locator("#q")).to_have_value("")
    assert page.evaluate("document.body.dataset.lang") == "vi"
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    page.locator("#q").fill("khai sinh")
    expect(page.locator("[data-slot=found-list] .proc-row").first).to_contain_text("khai sinh")

    # The link returns: the notice goes and the waiting counts are sent.
    point.start()
    expect(page.locator("body")).to_have_attribute("data-link", "online", timeout=20_000)
    expect(page.locator("[data-slot=offline]")).to_be_hidden()
    wait_for(page, "GuideLink.queued().then(items => items.length === 0)")
    counted = views(point)
    assert counted.get("1.000656") == 1 and counted.get("2.000815") == 1, counted
    assert not errors, errors
    page.context.close()
