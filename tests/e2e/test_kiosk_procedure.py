"""The kiosk's procedure step after a service: every procedure of the service page by page,
and the question asked before a half-taken number is given up."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.test_kiosk import close, fits, kiosk, office, open_kiosk, service, waiting

__all__ = ["kiosk", "office"]  # the fixtures this module uses


def test_every_procedure_of_a_service_page_by_page(browser: Any, demo: Any, kiosk: str) -> None:
    page = open_kiosk(browser, demo, kiosk)
    service(page, "hotich").tap()
    screen = page.locator("#procedure")
    screen.wait_for(state="visible")
    shown: list[str] = []
    pages = int(screen.locator("[data-slot=pages]").first.inner_text())
    assert pages >= 2
    for number in range(pages):
        fits(page, "#procedure")
        shown += screen.locator(".procedure-choice").evaluate_all(
            "bs => bs.map(b => b.dataset.code)"
        )
        if number < pages - 1:
            screen.locator('.page-btn[data-step="1"]').tap()
    _, catalogue = demo.request("GET", "/api/v1/procedures?limit=100")
    civil = [p["code"] for p in catalogue if p["field"] in ("Hộ tịch", "Nuôi con nuôi")]
    assert sorted(shown) == sorted(civil) and len(shown) == len(set(shown))
    screen.locator('.page-btn[data-step="-1"]').tap()
    shot(page, "kiosk-procedure-page-portrait-vi")
    page.locator("#procedure .back").tap()
    close(page)


def test_the_procedure_step_asks_before_going_home(browser: Any, office: Any) -> None:
    page = open_kiosk(browser, office, office.kiosk)
    before = waiting(office, "hotich")
    service(page, "hotich").tap()
    ask = page.locator("#procedure .still-choosing")
    expect(ask).to_be_visible(timeout=10_000)  # idle_reset_s is 5
    expect(ask).to_contain_text("vẫn muốn lấy số", use_inner_text=True)
    shot(page, "kiosk-procedure-still-choosing-portrait-vi")
    ask.locator("[data-action=keep-choosing]").tap()
    expect(ask).to_be_hidden()
    expect(ask).to_be_visible(timeout=10_000)
    ask.locator(".take-now").tap()  # the number half taken is issued, with no procedure
    page.locator("#ticket").wait_for(state="visible")
    assert waiting(office, "hotich") == before + 1
    page.locator("#ticket .done").tap()
    # Nobody answers: it goes home after the countdown, and says so while it counts.
    service(page, "hotich").tap()
    expect(ask).to_be_visible(timeout=10_000)
    left = int(ask.locator("[data-slot=left]").first.inner_text())
    assert 0 < left <= 20
    page.locator("#home").wait_for(state="visible", timeout=30_000)
    assert waiting(office, "hotich") == before + 1
    close(page)
