"""The phone tracking page /t/<code> in Chromium on a phone-sized screen: it follows the ticket
live (waiting → called at counter N → done) and takes the rating once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import new_page, shot

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def test_phone_follows_the_ticket_and_rates_it(browser: Any, demo: Any) -> None:
    kiosk = demo.device_token("kiosk-e2e-phone")
    staff = demo.staff_token("canbo-e2e-phone")
    status, ticket = demo.request(
        "POST", "/api/v1/tickets", kiosk, {"site": "hall", "service": "diachinh"}
    )
    assert status == 201
    page = new_page(browser, PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(ticket["track_url"])
    card = page.locator(".ticket")
    assert ticket["number"] in card.inner_text()
    assert "Đang chờ đến lượt" in card.inner_text()
    assert page.locator(".rating").is_hidden()
    page.evaluate("window.notReloaded = true")
    page.wait_for_timeout(500)  # let the /live connection open before the screenshot
    shot(page, "track-waiting")

    status, called = demo.request("POST", "/api/v1/counters/hall/4/call-next", staff)
    assert status == 200 and called["id"] == ticket["id"]
    page.locator(".called").wait_for(state="visible", timeout=5_000)  # pushed, not polled
    assert "Quầy 4" in page.locator(".called .counter").inner_text()
    shot(page, "track-called")

    status, _ = demo.request("POST", f"/api/v1/tickets/{ticket['id']}/done", staff)
    assert status == 200
    form = page.locator(".rating form")
    form.wait_for(state="visible", timeout=5_000)
    assert page.evaluate("window.notReloaded") is True
    page.locator(".score.s1").click()  # "Không hài lòng": below "Hài lòng", reasons appear
    page.locator(".reasons").wait_for(state="visible")
    page.locator("input[value=long_wait]").check()
    shot(page, "track-rating")
    page.locator(".rating button[type=submit]").click()
    page.locator(".rating [data-when=thanks]").wait_for(state="visible")
    _, public = demo.request("GET", f"/api/v1/track/{ticket['code']}")
    assert public["status"] == "done" and public["can_rate"] is False
    assert not errors, errors
    page.context.close()


def test_phone_page_in_english_and_unknown_code(browser: Any, demo: Any) -> None:
    kiosk = demo.device_token("kiosk-e2e-phone-en")
    _, ticket = demo.request("POST", "/api/v1/tickets", kiosk, {"site": "hall", "service": "hotro"})
    page = new_page(browser, PHONE)
    page.goto(ticket["track_url"] + "?lang=en")
    assert "Waiting for your turn" in page.locator(".ticket").inner_text()
    shot(page, "track-waiting-en")
    resp = page.goto(f"{demo.url}/t/no-such-code-here")
    assert resp.status == 404 and "Ticket not found" in page.inner_text("body")
    page.context.close()
