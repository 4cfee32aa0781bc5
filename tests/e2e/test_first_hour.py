"""The first hour of a newcomer, in Chromium, with nothing but the map ``motcua demo`` prints:
a ticket from the kiosk (printed to the spool), the call from the counter console, the number
on the hall display — a kiosk and a display in one browser — the supervisor's landing page,
and a second ``motcua demo`` that leaves every link and enrolled browser working."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.demo import DEMO_PASSWORD
from tests import serverproc
from tests.e2e.conftest import LANDSCAPE, PORTRAIT, REPO, new_page, shot

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serverproc.Server]:
    """The demo as ``scripts/demo`` serves it: config/, a spool printer, the public URL set."""
    base = tmp_path_factory.mktemp("first-hour")
    spool = base / "spool"
    spool.mkdir()
    server = serverproc.Server(base / "instance", config=REPO / "config", printer=f"spool:{spool}")
    server.env["MOTCUA_PUBLIC_URL"] = server.url
    server.spool = spool  # type: ignore[attr-defined]
    try:
        server.init_db()
        server.start()
        yield server
    finally:
        server.stop()


def read_map(text: str) -> dict[str, str]:
    """Label -> address, from the map's lines ("  <label>   <url>   [<who>]")."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"\s+(\S.*?)\s{2,}(http://\S+)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def sign_in(page: Any, url: str, name: str) -> None:
    page.goto(url)  # a staff page: it asks for a sign-in first
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_newcomer_reaches_ticket_counter_and_display_from_the_map(
    browser: Any, newcomer: serverproc.Server
) -> None:
    printed = newcomer.cli("demo")
    links = read_map(printed)
    url = newcomer.url
    # Every page, labelled for what it is, with its login.
    assert links["Counter console (staff call numbers)"] == f"{url}/counter"
    assert links["Supervisor overview"] == f"{url}/counter/overview"
    assert links["Reports"] == f"{url}/reports" and links["Admin"] == f"{url}/admin"
    assert links["Online-submission guide (citizens)"] == f"{url}/guide"
    assert "canbo1 (hall)" in printed and "giamsat (hall)" in printed
    tablets = [label for label in links if "counter" in label.lower() and "enroll" in links[label]]
    assert tablets and all(label.startswith("Rating tablet of counter") for label in tablets)
    kiosk_link, display_link = links["Kiosk kiosk-hall-1"], links["Display 1 (Màn hình sảnh chính)"]

    # One laptop browser: the kiosk in a tab...
    kiosk = new_page(browser, PORTRAIT)
    laptop = kiosk.context
    kiosk.goto(kiosk_link)
    assert kiosk.url == f"{url}/kiosk/hall"
    kiosk.locator('.service[data-service="chungthuc"] [data-slot="waiting"]').first.wait_for()
    kiosk.locator('.service[data-service="chungthuc"]').tap()
    kiosk.locator("#ticket:visible, #procedure:visible").first.wait_for()
    if kiosk.locator("#procedure").is_visible():
        kiosk.wait_for_timeout(450)  # a tap in the first 400 ms is a double tap's second half
        kiosk.locator("#procedure .skip").tap()
    kiosk.locator("#ticket").wait_for()
    number = kiosk.locator("#ticket .number").inner_text().strip()
    assert re.fullmatch(r"A\d{3}", number)
    kiosk.wait_for_selector('#ticket .print[data-state="printed"]', timeout=20_000)
    spool: Path = newcomer.spool  # type: ignore[attr-defined]
    assert any(spool.rglob("*.escpos")), "the ticket went to the printer"
    shot(kiosk, "first-hour-kiosk-ticket")

    # ...and the hall display in another tab of the same browser.
    display = laptop.new_page()
    display.set_viewport_size(LANDSCAPE)
    display.goto(display_link)
    assert display.url == f"{url}/display/1"
    display.wait_for_selector("body[data-synced]")
    assert kiosk.reload().status == 200, "the display did not push the kiosk out"

    # An officer signs in at the counter console and calls the next number.
    officer = new_page(browser, LANDSCAPE)
    sign_in(officer, links["Counter console (staff call numbers)"], "canbo1")
    officer.click('button.pick[data-counter="1"]')
    officer.wait_for_selector("#link[data-state=connected]")
    officer.click('[data-act="next"]')
    officer.wait_for_selector(f"text={number}")
    display.wait_for_selector(f'.tile[data-counter="1"] .tile-number[data-number="{number}"]')
    display.wait_for_selector(f'#callout[data-number="{number}"]')
    shot(display, "first-hour-display-call")

    # The supervisor lands on the overview, not on the counter picker.
    supervisor = new_page(browser, LANDSCAPE)
    sign_in(supervisor, f"{url}/login", "giamsat")
    assert supervisor.url == f"{url}/counter/overview"

    # The demo again (e.g. scripts/demo restarted): the same links, and nothing stops working.
    again = read_map(newcomer.cli("demo"))
    assert again == links
    assert kiosk.reload().status == 200 and display.reload().status == 200
    stranger = new_page(browser, PORTRAIT)
    stranger.goto(kiosk_link)
    assert stranger.url == f"{url}/kiosk/hall", "a demo link keeps working"
    for page in (kiosk, officer, supervisor, stranger):
        page.context.close()


def test_the_home_page_shows_what_this_browser_is_and_enrolls_in_one_click(
    browser: Any, newcomer: serverproc.Server
) -> None:
    newcomer.cli("demo")
    page = new_page(browser, LANDSCAPE)
    page.goto(f"{newcomer.url}/kiosk/ct1a")
    assert "chưa được đăng ký" in page.inner_text("body")
    sign_in(page, f"{newcomer.url}/login?next=/kiosk/ct1a", "admin")
    button = page.locator('[data-enroll="kiosk-ct1a-1"]')
    assert button.is_visible()
    shot(page, "kiosk-not-enrolled-admin")
    button.click()
    assert page.url == f"{newcomer.url}/kiosk/ct1a"
    page.locator(".service").first.wait_for()
    page.goto(f"{newcomer.url}/")
    assert "kiosk-ct1a-1" in page.locator(".this-browser").inner_text()
    shot(page, "home")
    page.context.close()
