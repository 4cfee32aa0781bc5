"""The citizen touch kiosk in Debian's Chromium, against a real ``motcua serve``.

Two servers: the demo (``demo`` fixture, spool printer) and ``office``, a copy of the demo
configuration where one service is closed now, one has a daily cap of one ticket, the same-day
cut-off has passed, the kiosk returns home after 5 s and its printer cannot print.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.sync_api import expect

from tests import serverproc
from tests.e2e.conftest import LANDSCAPE, PORTRAIT, REPO, clear_spool, enroll, new_page, shot

pytestmark = pytest.mark.e2e
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SERVICES = "/api/v1/sites/hall/services"


# --- helpers ------------------------------------------------------------------------------------


def open_kiosk(
    browser: Any,
    server: serverproc.Server,
    token: str,
    site: str = "hall",
    viewport: Any = PORTRAIT,
) -> Any:
    """A new browser enrolled with the kiosk device ``token``, once its counts have loaded."""
    page = new_page(browser, viewport)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    enroll(page, server, token)
    assert page.url.endswith(f"/kiosk/{site}")
    wait_counts(page)
    return page


def close(page: Any) -> None:
    assert not page.errors, f"JavaScript errors: {page.errors}"
    page.context.close()


def wait_counts(page: Any) -> None:
    """Until every count has come from the server (the page starts, and goes offline, with –)."""
    dashes = page.locator(".service [data-slot=waiting]", has_text=re.compile("^–$"))
    expect(dashes).to_have_count(0)


def service(page: Any, code: str) -> Any:
    return page.locator(f'.service[data-service="{code}"]')


def ticket_on_screen(page: Any, procedure: str | None = None) -> tuple[str, int]:
    """The ticket screen's number and ticket id; on the way, the optional procedure screen is
    answered with ``procedure`` (a code) or skipped."""
    page.locator("#ticket:visible, #procedure:visible").first.wait_for()
    if page.locator("#procedure").is_visible():
        page.wait_for_timeout(450)  # taps in the first 400 ms are a double tap's second half
        choice = f'[data-code="{procedure}"]' if procedure else ".skip"
        page.locator(f"#procedure {choice}").tap()
    page.locator("#ticket").wait_for(state="visible")
    number = page.locator("#ticket .number").inner_text().strip()
    return number, int(page.locator("#ticket").get_attribute("data-ticket-id"))


def waiting(server: serverproc.Server, code: str) -> int:
    status, services = server.request("GET", SERVICES)
    assert status == 200
    return next(s["waiting"] for s in services if s["code"] == code)


def raw(server: serverproc.Server, path: str, token: str) -> bytes:
    conn = server.connection()
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        assert resp.status == 200, resp.status
        return resp.read()
    finally:
        conn.close()


def spool_files(spool: Path) -> list[Path]:
    return sorted(p for p in spool.iterdir() if not p.name.startswith("."))


# --- the demo -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kiosk(demo: serverproc.Server) -> str:
    """One kiosk device of the hall (``motcua device add``), enrolled in every test's browser."""
    return demo.device_token("kiosk-e2e")


def test_a_tap_gives_the_number_of_the_api_and_the_printed_ticket(
    browser: Any, demo: Any, kiosk: str
) -> None:
    page, token = open_kiosk(browser, demo, kiosk), kiosk
    spool = clear_spool(demo)
    service(page, "chungthuc").tap()
    number, ticket_id = ticket_on_screen(page)
    status, ticket = demo.request("GET", f"/api/v1/tickets/{ticket_id}", token)
    assert status == 200 and ticket["number"] == number and re.fullmatch(r"A\d{3}", number)
    assert ticket["service"] == "chungthuc" and ticket["status"] == "waiting"
    assert page.locator("#ticket [data-slot=ahead]").inner_text() == str(ticket["ahead"])
    assert "Quầy 1, 2, 3" in page.locator("#ticket .facts").inner_text()
    qr = page.locator("#ticket .qr")
    assert qr.get_attribute("src") == f"/t/{ticket['code']}/qr.svg"
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    # "Đang in…" then "Đã in xong": the print worker wrote the job into the spool folder.
    page.locator("#ticket .print [data-when=printed]").wait_for(state="visible")
    deadline = time.monotonic() + 5
    while not spool_files(spool) and time.monotonic() < deadline:
        time.sleep(0.1)
    files = spool_files(spool)
    assert len(files) == 1
    assert files[0].read_bytes() == raw(demo, f"/api/v1/tickets/{ticket_id}/escpos", token)
    page.locator("#ticket .done").tap()
    page.locator("#home").wait_for(state="visible")
    close(page)


def test_a_double_tap_makes_one_ticket(browser: Any, demo: Any, kiosk: str) -> None:
    page = open_kiosk(browser, demo, kiosk)
    before = waiting(demo, "hotich")
    service(page, "hotich").dblclick()
    ticket_on_screen(page)
    page.locator("#ticket .done").click()
    # Harder than any finger: two clicks in one task, before the first request is even sent.
    page.locator("#home").wait_for(state="visible")
    service(page, "hotich").evaluate("b => { b.click(); b.click(); }")
    ticket_on_screen(page)
    assert waiting(demo, "hotich") == before + 2
    close(page)


def test_counts_follow_the_queue_without_reload(browser: Any, demo: Any, kiosk: str) -> None:
    page = open_kiosk(browser, demo, kiosk)
    page.evaluate("window.notReloaded = true")
    shown = int(service(page, "diachinh").locator("[data-slot=waiting]").first.inner_text())
    status, _ = demo.request(
        "POST", "/api/v1/tickets", kiosk, {"site": "hall", "service": "diachinh"}
    )
    assert status == 201
    # Faster than the 30 s safety poll: the /live push did it.
    service(page, "diachinh").locator(f"[data-slot=waiting]:text-is('{shown + 1}')").first.wait_for(
        timeout=5_000
    )
    assert page.evaluate("window.notReloaded") is True
    close(page)


def test_priority_ticket_self_declared(browser: Any, demo: Any, kiosk: str) -> None:
    page = open_kiosk(browser, demo, kiosk)
    page.locator(".priority-btn").tap()
    page.locator("#priority").wait_for(state="visible")
    shot(page, "kiosk-priority-portrait-vi")
    page.locator('.group[data-group="elderly"]').tap()
    assert "Người cao tuổi" in page.locator("#home .lead").inner_text()
    service(page, "traketqua").tap()
    _, ticket_id = ticket_on_screen(page)
    assert "Số ưu tiên: Người cao tuổi" in page.locator("#ticket").inner_text()
    _, ticket = demo.request("GET", f"/api/v1/tickets/{ticket_id}", kiosk)
    assert ticket["priority"] == "elderly"
    page.locator("#ticket .done").tap()
    assert page.locator(".priority-btn").is_visible()  # the next citizen starts ordinary
    close(page)


def test_a_visitor_cannot_take_numbers(browser: Any, demo: Any) -> None:
    page = new_page(browser)
    resp = page.goto(f"{demo.url}/kiosk/hall")
    assert resp.status == 403
    text = page.inner_text("body")
    assert "chưa được đăng ký" in text and "not enrolled" in text
    status = page.evaluate(
        """async () => (await fetch('/api/v1/tickets', {method: 'POST',
             headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({site: 'hall', service: 'hotich'})})).status"""
    )
    assert status == 401  # no device cookie: refused before anything is issued
    shot(page, "kiosk-not-enrolled")
    page.context.close()


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_screens_in_both_languages(browser: Any, demo: Any, kiosk: str, orientation: str) -> None:
    viewport = PORTRAIT if orientation == "portrait" else LANDSCAPE
    page = open_kiosk(browser, demo, kiosk, viewport=viewport)
    no_scroll(page)
    shot(page, f"kiosk-home-{orientation}-vi")
    page.locator(".lang-btn").tap()
    assert "Touch a service" in page.locator("#home .lead").inner_text()
    shot(page, f"kiosk-home-{orientation}-en")
    service(page, "hotich").tap()
    page.locator("#procedure").wait_for(state="visible")
    assert "Birth registration" in page.locator("#procedure").inner_text()
    fits(page, "#procedure")
    shot(page, f"kiosk-procedure-{orientation}-en")
    ticket_on_screen(page)
    page.locator("#ticket .print [data-when=printed]").wait_for(state="visible")
    assert "Your number" in page.locator("#ticket").inner_text()
    shot(page, f"kiosk-ticket-{orientation}-en")
    page.locator("#ticket .done").tap()
    # Done: the next citizen finds the kiosk in Vietnamese.
    assert "Mời Ông/Bà" in page.locator("#home .lead").inner_text()
    service(page, "chungthuc").tap()
    ticket_on_screen(page)
    page.locator("#ticket .print [data-when=printed]").wait_for(state="visible")
    shot(page, f"kiosk-ticket-{orientation}-vi")
    close(page)


def fits(page: Any, screen: str) -> None:
    """No scrolling, and no button of ``screen`` with clipped text."""
    sizes = page.evaluate(
        "[document.documentElement.scrollHeight, innerHeight,"
        " document.documentElement.scrollWidth, innerWidth]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes
    clipped = page.evaluate(
        f"[...document.querySelectorAll('{screen} button')].filter(e => e.offsetParent"
        " && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1))"
        ".map(e => e.textContent)"
    )
    assert not clipped, clipped


def test_the_procedure_chosen_goes_with_the_ticket(browser: Any, demo: Any, kiosk: str) -> None:
    page = open_kiosk(browser, demo, kiosk)
    service(page, "hotich").tap()
    screen = page.locator("#procedure")
    screen.wait_for(state="visible")
    assert "Đăng ký khai sinh" in screen.inner_text() and "Hộ tịch" in screen.inner_text()
    fits(page, "#procedure")
    shot(page, "kiosk-procedure-portrait-vi")
    number, ticket_id = ticket_on_screen(page, procedure="1.001193")
    assert number.startswith("B")
    assert "Đăng ký khai sinh" in page.locator("#ticket .proc").inner_text()
    _, ticket = demo.request("GET", f"/api/v1/tickets/{ticket_id}", kiosk)
    assert ticket["procedure"] == "1.001193"
    page.locator("#ticket .done").tap()
    # "Quay lại" on the procedure screen issues nothing.
    before = waiting(demo, "hotich")
    service(page, "hotich").tap()
    screen.wait_for(state="visible")
    page.locator("#procedure .back").tap()
    page.locator("#home").wait_for(state="visible")
    assert waiting(demo, "hotich") == before
    assert not service(page, "hotich").is_disabled()
    close(page)


def no_scroll(page: Any) -> None:
    sizes = page.evaluate(
        "[document.documentElement.scrollHeight, innerHeight,"
        " document.documentElement.scrollWidth, innerWidth]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes
    # Every target is at least 15 mm: 1 CSS px is about 0.25 mm on a 21.5" full-HD screen.
    smallest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('#home button, #home a, .lang-btn')]"
        ".filter(e => e.offsetParent).map(e => Math.min(e.offsetWidth, e.offsetHeight)))"
    )
    assert smallest >= 60, smallest
    # And each button's text fits inside it (nothing clipped).
    clipped = page.evaluate(
        "[...document.querySelectorAll('#home .service, #home .big')].filter(e => e.offsetParent"
        " && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1))"
        ".map(e => e.dataset.service || e.className)"
    )
    assert not clipped, clipped


@pytest.fixture(scope="module")
def ct1a_kiosk(demo: serverproc.Server) -> str:
    return demo.device_token("kiosk-e2e-ct1a", site="ct1a")


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_support_point_kiosk(browser: Any, demo: Any, ct1a_kiosk: str, orientation: str) -> None:
    viewport = PORTRAIT if orientation == "portrait" else LANDSCAPE
    page = open_kiosk(browser, demo, ct1a_kiosk, "ct1a", viewport)
    assert page.locator(".guide-link").get_attribute("href") == "/guide?site=ct1a"
    no_scroll(page)
    shot(page, f"kiosk-ct1a-home-{orientation}-vi")
    if orientation == "portrait":
        page.locator(".volunteer").tap()
        number, ticket_id = ticket_on_screen(page)
        assert number.startswith("H")
        _, ticket = demo.request("GET", f"/api/v1/tickets/{ticket_id}", ct1a_kiosk)
        assert (ticket["site"], ticket["service"]) == ("ct1a", "hotro")
    close(page)


# --- the office: closed, capped, after the cut-off, failing printer, outage ----------------------


FIELDS = {
    "chungthuc": "Tư pháp – hộ tịch",
    "hotich": "Tư pháp – hộ tịch",
    "diachinh": "Đất đai – xây dựng",
    "vhxh": "Văn hóa – xã hội",
    "kinhte": "Kinh tế",
}


def office_config(dest: Path, closed_hour: int) -> Path:
    shutil.copytree(REPO / "config", dest)
    main_path, hall_path = dest / "motcua.yaml", dest / "sites" / "hall.yaml"
    main = yaml.safe_load(main_path.read_text(encoding="utf-8"))
    main["kiosk"] = {"tickets_per_minute": 30, "return_home_s": 5, "idle_reset_s": 5}
    main["same_day_cutoff"] = "00:00"  # always past it
    main_path.write_text(yaml.safe_dump(main, allow_unicode=True), encoding="utf-8")
    hall = yaml.safe_load(hall_path.read_text(encoding="utf-8"))
    hall["read_aloud"] = True
    for svc in hall["services"]:
        svc["field"] = FIELDS.get(svc["code"], "Khác")
        if svc["code"] == "diachinh":
            svc["hours"] = {"daily": [f"{closed_hour:02d}:00-{closed_hour:02d}:30"]}
        if svc["code"] == "kinhte":
            svc["daily_cap"] = 1
    # Twelve services, the most the home screen must show without scrolling.
    extra = [("F", "Văn hóa – giáo dục"), ("G", "Cư trú"), ("L", "Nuôi con nuôi")]
    extra += [("M", "Tiếp nhận phản ánh, kiến nghị"), ("N", "Xác nhận tình trạng hôn nhân")]
    for prefix, name in extra:
        hall["services"].append(
            {"code": f"extra_{prefix.lower()}", "prefix": prefix, "name": name, "field": "Khác"}
        )
    hall["counters"].append(
        {"number": 9, "name": "Quầy 9", "services": [f"extra_{p.lower()}" for p, _ in extra]}
    )
    hall_path.write_text(yaml.safe_dump(hall, allow_unicode=True), encoding="utf-8")
    return dest


# Pages left counting down while the following tests run (see the test after the idle reset).
BACKGROUND: dict[str, Any] = {}


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serverproc.Server]:
    base = tmp_path_factory.mktemp("office")
    now = datetime.now(TZ)
    closed_hour = (now + timedelta(hours=3)).hour  # an opening that never contains now
    broken = base / "printer"
    broken.write_text("a file where the spool folder should be")
    server = serverproc.Server(
        base / "instance",
        config=office_config(base / "config", closed_hour),
        printer=f"spool:{broken}",
    )
    server.closed_hour = closed_hour  # type: ignore[attr-defined]
    try:
        server.init_db()
        server.start()
        server.kiosk = server.device_token("kiosk-office")  # type: ignore[attr-defined]
        yield server
    finally:
        for page in BACKGROUND.values():
            page.context.close()
        server.stop(grace=1)


def test_printer_failure_keeps_number_and_qr_up_longer(browser: Any, office: Any) -> None:
    page = open_kiosk(browser, office, office.kiosk)
    assert page.locator("#home .cutoff").is_visible()  # same_day_cutoff 00:00 has passed
    assert service(page, "chungthuc").locator(".cutoff-tag").is_visible()
    with page.expect_response(lambda r: "/voice/" in r.url) as voice:
        service(page, "chungthuc").tap()
        number, ticket_id = ticket_on_screen(page)
    # The number is read aloud (the site enables it), and can be heard again.
    assert voice.value.url.endswith(f"/kiosk/hall/voice/{number}.wav")
    assert voice.value.status in ((200, 206) if shutil.which("espeak-ng") else (503,))
    assert page.locator("#ticket .replay").is_visible()
    failed = page.locator("#ticket .print [data-when=failed]")
    failed.wait_for(state="visible")
    assert "Máy in gặp sự cố" in failed.inner_text()
    assert page.locator("#ticket .cutoff").is_visible()
    _, ticket = office.request("GET", f"/api/v1/tickets/{ticket_id}", office.kiosk)
    assert ticket["print"]["status"] == "failed" and ticket["number"] == number
    # 3 × return_home_s instead of return_home_s.
    countdown = int(page.locator("#ticket .countdown").inner_text().strip("()"))
    assert 10 < countdown <= 15
    shot(page, "kiosk-ticket-print-failed-portrait-vi")
    BACKGROUND["failed print"] = page  # it goes home by itself: checked after the next tests


def test_closed_service_is_refused_with_its_reopening_time(browser: Any, office: Any) -> None:
    page = open_kiosk(browser, office, office.kiosk)
    no_scroll(page)
    shot(page, "kiosk-home-office-portrait-vi")
    hour = f"{office.closed_hour:02d}:00"
    closed = service(page, "diachinh")
    assert "off" in closed.get_attribute("class")
    assert "Ngoài giờ tiếp nhận" in closed.inner_text() and hour in closed.inner_text()
    before = waiting(office, "diachinh")
    closed.tap()
    refusal = page.locator("#refusal")
    refusal.wait_for(state="visible")
    assert "ngoài giờ tiếp nhận" in refusal.inner_text() and hour in refusal.inner_text()
    assert waiting(office, "diachinh") == before
    # Not a dead end: other services open now, the guide, and the portal at any hour.
    others = refusal.locator(".other-services .other")
    expect(others.first).to_be_visible()
    assert "Chứng thực" in refusal.locator(".other-services").inner_text()
    assert "Đất đai" not in refusal.locator(".other-services").inner_text()
    expect(refusal.locator(".guide-way")).to_have_attribute("href", "/guide?site=hall")
    qr = refusal.locator(".portal-way img")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")
    fits(page, "#refusal")
    shot(page, "kiosk-refusal-closed-portrait-vi")
    # Another service, straight from the refusal screen.
    before_cert = waiting(office, "chungthuc")
    refusal.locator('.other[data-service="chungthuc"]').tap()
    number, _ = ticket_on_screen(page)
    assert number.startswith("A") and waiting(office, "chungthuc") == before_cert + 1
    page.locator("#ticket .done").tap()
    diachinh = service(page, "diachinh")
    diachinh.tap()
    refusal.wait_for(state="visible")
    page.locator("#refusal [data-action=home]").tap()
    page.locator("#home").wait_for(state="visible")
    close(page)


def test_daily_cap_then_refusal(browser: Any, office: Any) -> None:
    page = open_kiosk(browser, office, office.kiosk, viewport=LANDSCAPE)
    no_scroll(page)
    service(page, "kinhte").tap()
    ticket_on_screen(page)
    page.locator("#ticket .done").tap()
    capped = service(page, "kinhte")
    capped.locator("[data-when=daily_cap_reached]").wait_for(state="visible")
    assert "Đã hết số hôm nay" in capped.inner_text()
    shot(page, "kiosk-home-office-landscape-vi")
    capped.tap()
    page.locator("#refusal [data-when=daily_cap_reached]").wait_for(state="visible")
    reopen = page.locator("#refusal .reopen")
    expect(reopen).to_contain_text("Mở lại lúc", use_inner_text=True)
    expect(page.locator("#refusal .guide-way")).to_be_visible()
    fits(page, "#refusal")
    shot(page, "kiosk-refusal-cap-landscape-vi")
    close(page)


def test_idle_reset_goes_home_in_vietnamese(browser: Any, office: Any) -> None:
    page = open_kiosk(browser, office, office.kiosk)
    page.locator(".lang-btn").tap()
    page.locator(".priority-btn").tap()
    page.locator("#priority").wait_for(state="visible")
    page.locator("#home").wait_for(state="visible", timeout=10_000)  # idle_reset_s is 5
    assert page.locator("body").get_attribute("data-lang") == "vi"
    close(page)


def test_the_failed_print_screen_went_home_by_itself(office: Any) -> None:
    page = BACKGROUND.pop("failed print", None)
    if page is None:
        pytest.skip("runs after test_printer_failure_keeps_number_and_qr_up_longer")
    page.locator("#home").wait_for(state="visible", timeout=20_000)
    assert page.locator("body").get_attribute("data-lang") == "vi"
    close(page)


def test_outage_screen_then_recovery(browser: Any, office: Any) -> None:
    page = open_kiosk(browser, office, office.kiosk, viewport=LANDSCAPE)
    page.evaluate("window.notReloaded = true")
    office.stop(grace=1)
    try:
        offline = page.locator("#offline")
        offline.wait_for(state="visible", timeout=10_000)
        assert "Tạm ngừng phục vụ" in offline.inner_text()
        assert service(page, "hotich").locator("[data-slot=waiting]").first.inner_text() == "–"
        shot(page, "kiosk-offline-landscape")
    finally:
        office.start()
    page.locator("#home").wait_for(state="visible", timeout=15_000)
    wait_counts(page)
    assert page.evaluate("window.notReloaded") is True  # recovered in place, no error page
    service(page, "hotich").tap()
    ticket_on_screen(page)
    close(page)
