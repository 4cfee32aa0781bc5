"""The counter console in a real browser against a real server (demo configuration): two
consoles at once, a transfer with a note seen live at the other counter, a reload that keeps the
current ticket, the rating tablet after "done", and the supervisor's view.

Screenshots go to docs/screenshots/ (counter-*, supervisor-*, rate-*)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests import serverproc
from tests.e2e.conftest import LANDSCAPE, enroll, new_page, shot

pytestmark = pytest.mark.e2e

NOTE = "<script>alert('x')</script> Cần chứng thực thêm 2 bản sao"
TABLET = {"width": 1280, "height": 800}


def add_user(server: serverproc.Server, name: str, role: str) -> None:
    server.cli(
        "user", "add", name, "--role", role, "--site", "hall", stdin=serverproc.PASSWORD + "\n"
    )


def issue(server: serverproc.Server, token: str, service: str, **extra: Any) -> dict[str, Any]:
    status, body = server.request(
        "POST", "/api/v1/tickets", token, {"site": "hall", "service": service, **extra}
    )
    assert status == 201, body
    return body  # type: ignore[no-any-return]


def sign_in(page: Any, server: serverproc.Server, name: str, path: str = "/counter") -> None:
    page.goto(f"{server.url}/login?next={path}")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", serverproc.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def open_console(page: Any, server: serverproc.Server, name: str, counter: int) -> None:
    sign_in(page, server, name)
    page.click(f'button.pick[data-counter="{counter}"]')
    page.wait_for_selector("#link[data-state=connected]")
    page.wait_for_selector("#status:not(:empty)")


def press(page: Any, key: str, act: str) -> None:
    """Press a console shortcut once its button is enabled, as a person sees it: while an
    action's request is in flight every button is disabled and a shortcut does nothing (a
    push may already show its result)."""
    page.wait_for_selector(f'[data-act="{act}"]:not([disabled])')
    page.keyboard.press(key)


def no_dialogs(page: Any) -> list[str]:
    """Collect any alert() the page shows (an injected script would)."""
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
    return seen


@pytest.fixture(scope="module")
def hall(demo: serverproc.Server) -> dict[str, str]:
    """Two officers and a supervisor of the hall; ``token`` is an API token of the first."""
    add_user(demo, "e2e-mai", "staff")
    add_user(demo, "e2e-lan", "staff")
    add_user(demo, "e2e-giamsat", "supervisor")
    return {"token": demo.user_token("e2e-mai")}


def test_a_morning_at_two_counters(
    browser: Any, demo: serverproc.Server, hall: dict[str, str]
) -> None:
    for _ in range(3):
        issue(demo, hall["token"], "chungthuc")
    issue(demo, hall["token"], "chungthuc", priority="elderly")
    issue(demo, hall["token"], "hotich")

    one = new_page(browser, LANDSCAPE)
    two = new_page(browser, LANDSCAPE)
    alerts_one, alerts_two = no_dialogs(one), no_dialogs(two)
    try:
        sign_in(one, demo, "e2e-mai")
        shot(one, "counter-pick")
        one.click('button.pick[data-counter="1"]')
        one.wait_for_selector("#link[data-state=connected]")
        open_console(two, demo, "e2e-lan", 2)
        one.wait_for_selector("#queues .queue")

        # Both press "call next" at the same moment: two different tickets.
        one.keyboard.press("g")
        two.keyboard.press("g")
        one.wait_for_selector("#current-ticket:not([hidden])")
        two.wait_for_selector("#current-ticket:not([hidden])")
        first, second = one.text_content("#cur-number"), two.text_content("#cur-number")
        assert first and second and first != second
        assert {first, second} <= {"A001", "A002", "A003", "A004"}

        # Counter 2 transfers its ticket to civil status (served by counter 1) with a note.
        press(two, "c", "transfer")
        two.check('#dlg-transfer input[value="hotich"]')
        two.fill("#dlg-transfer textarea[name=note]", NOTE)
        shot(two, "counter-transfer")
        two.click('#dlg-transfer button[value="ok"]')
        two.wait_for_selector("#current-empty:not([hidden])")

        # ...and counter 1 sees it arrive by push, note shown as text.
        row = one.locator("#transferred li.row", has_text=second)
        row.wait_for()
        assert row.locator("q.note-text").text_content() == NOTE
        assert one.locator("#transferred script").count() == 0

        # Start serving, then reload: the current ticket is still there.
        press(one, "b", "start")
        one.wait_for_selector('#current[data-status="serving"]')
        one.reload()
        one.wait_for_selector("#current-ticket:not([hidden])")
        assert one.text_content("#cur-number") == first
        assert one.text_content("#cur-state") == "Đang phục vụ"
        one.wait_for_selector("#transferred li.row")
        shot(one, "counter-console")

        # Done and call next from the keyboard: counter 1 takes the next one in its order.
        press(one, "g", "next")
        expect(one.locator("#cur-number")).not_to_have_text(first)

        # Pause with a reason, then resume.
        press(one, "x", "done")
        one.wait_for_selector("#current-empty:not([hidden])")
        press(one, "d", "pause")
        one.check('#dlg-pause input[value="Họp"]')
        one.click('#dlg-pause button[value="ok"]')
        one.wait_for_selector("#paused:not([hidden])")
        assert one.text_content("#pause-reason") == "Họp"
        assert one.is_disabled('[data-act="next"]')
        press(one, "d", "unpause")
        one.wait_for_selector("#paused", state="hidden")
        assert alerts_one == [] and alerts_two == []
    finally:
        one.context.close()
        two.context.close()


def test_rating_tablet_asks_after_done(
    browser: Any, demo: serverproc.Server, hall: dict[str, str]
) -> None:
    device = demo.device_token("e2e-rate-5", kind="counter", counter=5)
    ticket = issue(demo, hall["token"], "vhxh")
    tablet = new_page(browser, TABLET)
    try:
        enroll(tablet, demo, device)
        tablet.wait_for_url("**/rate/hall/5")
        tablet.wait_for_selector('#tablet[data-screen="idle"]')
        status, called = demo.request("POST", "/api/v1/counters/hall/5/call-next", hall["token"])
        assert status == 200 and called["id"] == ticket["id"]
        demo.request("POST", f"/api/v1/tickets/{ticket['id']}/done", hall["token"])
        tablet.wait_for_selector('#tablet[data-screen="ask"]')
        assert tablet.text_content("#ask-number") == ticket["number"]
        shot(tablet, "rate-ask")
        tablet.click('.score[data-score="2"]')  # below "satisfied": optional reasons
        tablet.wait_for_selector('#tablet[data-screen="reasons"]')
        tablet.click('.reason[data-reason="long_wait"]')
        shot(tablet, "rate-reasons")
        tablet.click("#send")
        tablet.wait_for_selector('#tablet[data-screen="thanks"]')
        status, err = demo.request(
            "POST", f"/api/v1/tickets/{ticket['id']}/rating", device, {"score": 4}
        )
        assert status == 409  # stored once, from the tablet
    finally:
        tablet.context.close()


def test_supervisor_watches_and_steers(
    browser: Any, demo: serverproc.Server, hall: dict[str, str]
) -> None:
    waiting = issue(demo, hall["token"], "diachinh")
    demo.request(
        "POST", "/api/v1/counters/hall/7/pause", hall["token"], {"reason": "Hỗ trợ quầy 1"}
    )
    page = new_page(browser, LANDSCAPE)
    try:
        sign_in(page, demo, "e2e-giamsat", "/counter/overview")
        page.wait_for_selector("#link[data-state=connected]")
        card = page.locator('.ccard[data-counter="7"]')
        card.wait_for()
        assert "Hỗ trợ quầy 1" in card.text_content()
        row = page.locator(f'#waiting tr[data-ticket="{waiting["id"]}"]')
        row.wait_for()
        shot(page, "supervisor-overview")

        # Grant a priority with a reason.
        row.locator("button").click()
        page.check('#dlg-priority input[value="disability"]')
        page.fill("#dlg-priority input[name=reason]", "Đi xe lăn")
        page.click('#dlg-priority button[value="ok"]')
        row.locator(".badge-priority").wait_for()

        # Counter 4 also takes civil status for the rest of the day.
        page.locator('.ccard[data-counter="4"] button').click()
        page.check('#services-order input[value="hotich"]')
        shot(page, "supervisor-services")
        page.click('#dlg-services button[value="ok"]')
        page.locator('.ccard[data-counter="4"] .chip-note').wait_for()
        status, counters = demo.request("GET", "/api/v1/sites/hall/counters")
        assert counters[3]["services"] == ["diachinh", "hotich"]
    finally:
        page.context.close()
