"""The online-submission guide /guide in Debian's Chromium, against the demo at CT1A: full walks
for birth registration, marriage registration and a certified copy, "not sure" answers, search
in citizens' own words with its zero-result screen, English screens, a printed checklist read
back from the spool printer, the dossier lookup, a volunteer call, the wipe after idling, and
the guide going on with the server really stopped (tests/e2e/test_guide_offline.py).

scripts/screenshots-guide refreshes docs/screenshots/guide-* on purpose.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from printer.blocks import Text
from printer.render import render_blocks
from tests import escpos_decode, serverproc
from tests.e2e.conftest import LANDSCAPE, PORTRAIT, clear_spool, enroll, new_page, shot

pytestmark = pytest.mark.e2e
FOOTER = "Tài liệu tham khảo, không phải giấy tiếp nhận hồ sơ"
IDLE_S = 150  # kiosk.guide_idle_s in the demo (the default)


@pytest.fixture(scope="module")
def kiosk(demo: serverproc.Server) -> str:
    return demo.device_token("kiosk-ct1a-1", kind="kiosk", site="ct1a")


@pytest.fixture
def guide(browser: Any, demo: serverproc.Server, kiosk: str) -> Iterator[Any]:
    """A portrait kiosk browser enrolled at CT1A, on /guide."""
    page = open_guide(browser, demo, kiosk)
    yield page
    close(page)


def open_guide(
    browser: Any,
    server: serverproc.Server,
    token: str,
    viewport: Any = PORTRAIT,
    lang: str = "vi",
    clock: bool = False,
) -> Any:
    page = new_page(browser, viewport)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    if clock:
        page.clock.install()
    enroll(page, server, token)
    page.goto(f"{server.url}/guide?site=ct1a&lang={lang}")
    expect(page.locator("#home")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-ready", "1")  # the bundle is loaded
    return page


def close(page: Any) -> None:
    assert not page.errors, f"JavaScript errors: {page.errors}"
    page.context.close()


def tap_keys(page: Any, text: str) -> None:
    """Type on the guide's on-screen keyboard (the kiosk has no other)."""
    expect(page.locator("#keyboard")).to_be_visible()
    for ch in text.upper():
        page.locator(f'#keyboard [data-key="{ch}"]').click()


def answer(page: Any, *values: bool) -> None:
    for value in values:
        question = page.locator("[data-slot=w-question]").inner_text()
        page.locator(f'#wizard [data-action=answer][data-value="{int(value)}"]').click()
        if page.locator("#wizard").is_visible():
            expect(page.locator("[data-slot=w-question]")).not_to_have_text(question)


def qr_loaded(page: Any, selector: str) -> None:
    img = page.locator(selector)
    expect(img).to_be_visible()
    # Polled from here: wait_for_function would eval() in the page, which its CSP refuses.
    deadline = time.monotonic() + 10
    while not img.evaluate("el => el.complete && el.naturalWidth > 100"):
        assert time.monotonic() < deadline, f"{selector} did not load"
        page.wait_for_timeout(50)


def spool_files(spool: Path) -> list[Path]:
    return sorted(p for p in spool.iterdir() if not p.name.startswith("."))


def footer_at_bottom(image: Any) -> bool:
    """The "not a receipt" line is the last thing on the paper (compared dot for dot)."""
    line = render_blocks((Text(FOOTER, "small", True, "center", shrink_to=16),), image.width)

    def rows(img: Any) -> list[bytes]:
        return [img.crop((0, y, img.width, y + 1)).tobytes() for y in range(img.height)]

    paper, want = rows(image), rows(line)
    found = [y for y in range(len(paper) - len(want) + 1) if paper[y : y + len(want)] == want]
    return bool(found) and image.height - (found[-1] + len(want)) < 30


# --- the walks ---------------------------------------------------------------------------------


def test_birth_registration_end_to_end_with_a_printed_checklist(
    guide: Any, demo: serverproc.Server
) -> None:
    page = guide
    shot(page, "guide-home-portrait-vi")
    page.locator("#q").click()
    tap_keys(page, "khai sinh")
    first = page.locator("[data-slot=found-list] .proc-row").first
    expect(first).to_contain_text("Đăng ký khai sinh", use_inner_text=True)
    shot(page, "guide-search-portrait-vi")
    page.locator('#keyboard [data-key="done"]').click()
    first.click()

    expect(page.locator("[data-slot=p-name]")).to_have_text(
        "Đăng ký khai sinh", use_inner_text=True
    )
    # Not a scary badge: a plain "check at the counter" next to the unconfirmed fee.
    expect(page.locator("#procedure [data-check=fee]")).to_have_text(
        "Xin kiểm tra lại tại quầy", use_inner_text=True
    )
    expect(page.locator("#procedure")).not_to_contain_text("chưa được xác minh")
    expect(page.locator("[data-slot=p-documents] li")).to_have_count(5)
    expect(page.locator("[data-slot=p-time]")).to_contain_text("Trong ngày", use_inner_text=True)
    expect(page.locator("[data-slot=p-fee]")).to_contain_text(
        "Đăng ký quá 60 ngày: 5.000", use_inner_text=True
    )
    expect(page.locator("[data-slot=p-sources]")).to_contain_text(
        "dichvucong.gov.vn", use_inner_text=True
    )
    qr_loaded(page, "[data-slot=p-qr]")
    shot(page, "guide-procedure-portrait-vi")

    page.locator("#procedure .cta-row [data-action=wizard]").click()
    expect(page.locator("[data-slot=w-question]")).to_have_text(
        "Cháu bé sinh chưa quá 60 ngày?", use_inner_text=True
    )
    shot(page, "guide-wizard-portrait-vi")
    answer(page, True, True, True, False, True)
    expect(page.locator("#checklist")).to_be_visible()
    papers = page.locator("[data-slot=c-papers] li")
    expect(papers).to_have_count(2)
    expect(papers.nth(0)).to_contain_text("điền trên cổng", use_inner_text=True)  # an e-form
    expect(papers.nth(1)).to_contain_text("Giấy chứng sinh", use_inner_text=True)
    expect(papers.nth(1)).to_contain_text("chụp/scan", use_inner_text=True)
    expect(page.locator("[data-slot=c-fee]")).to_have_text("Miễn lệ phí", use_inner_text=True)
    shot(page, "guide-checklist-portrait-vi")

    spool = clear_spool(demo)
    page.locator("#checklist [data-action=print]").click()
    expect(page.locator("[data-slot=c-print]")).to_have_attribute("data-state", "printed")
    files = spool_files(spool)
    assert len(files) == 1
    events = escpos_decode.decode(files[0].read_bytes())
    image = escpos_decode.stacked_image(events, 576)
    assert image.width == 576 and 700 < image.height < 2500
    assert footer_at_bottom(image)
    assert isinstance(events[-1], escpos_decode.Cut)

    page.locator("#checklist [data-when=ok] [data-action=steps]").click()
    cards = page.locator(".step-card")
    expect(cards.nth(0)).to_be_visible()
    page.locator("[data-action=step-next]").click()
    expect(cards.nth(1)).to_contain_text("Đăng nhập bằng VNeID", use_inner_text=True)
    qr_loaded(page, "[data-slot=s-qr]")
    shot(page, "guide-steps-portrait-vi")
    for _ in range(4):
        page.locator("[data-action=step-next]").click()
    expect(cards.nth(5)).to_contain_text(
        "Giấy chứng sinh do cơ sở y tế cấp", use_inner_text=True
    )  # from the list
    for _ in range(3):
        page.locator("[data-action=step-next]").click()
    expect(cards.nth(8)).to_contain_text("GHI LẠI MÃ HỒ SƠ", use_inner_text=True)
    page.locator("[data-action=step-next]").click()
    expect(page.locator("[data-slot=s-qr]")).to_have_attribute("src", "/guide/qr/lookup.png")
    page.locator("[data-action=step-next]").click()  # "Xong" goes back
    expect(page.locator("#checklist")).to_be_visible()

    before = page.evaluate("history.length")
    page.locator(".bar [data-action=end]").click()
    expect(page.locator("#home")).to_be_visible()
    expect(page.locator("#q")).to_have_value("")
    assert page.evaluate("history.length") == before  # replaced, not pushed


def test_not_sure_shows_what_each_answer_needs(guide: Any) -> None:
    page = guide
    page.locator('.proc-card[data-code="1.001193"]').click()
    page.locator("#procedure .cta-row [data-action=wizard]").click()
    page.locator("#wizard [data-action=answer][data-value='1']").click()
    expect(page.locator("[data-slot=w-question]")).to_contain_text("Giấy chứng sinh")
    page.locator("#wizard [data-action=answer][data-value='?']").click()  # Không rõ
    for value in ("1", "0", "1"):
        page.locator(f"#wizard [data-action=answer][data-value='{value}']").click()
    unsure = page.locator("[data-slot=c-unsure]")
    expect(unsure).to_be_visible()
    expect(unsure).to_contain_text("Nếu có: Giấy chứng sinh do cơ sở y tế cấp", use_inner_text=True)
    expect(unsure).to_contain_text("Nếu không: Văn bản của người làm chứng", use_inner_text=True)
    expect(page.locator("[data-slot=c-papers] li")).to_have_count(1)  # nothing assumed
    shot(page, "guide-unsure-portrait-vi")


def test_search_in_own_words_and_the_zero_result_screen(guide: Any) -> None:
    page = guide
    page.locator("#q").fill("thu tuc dang ky ket hon o phuong")
    rows = page.locator("[data-slot=found-list] .proc-row")
    expect(rows.first).to_contain_text("Đăng ký kết hôn", use_inner_text=True)
    page.locator("#q").fill("giay chung tu")
    expect(rows.first).to_contain_text("Đăng ký khai tử", use_inner_text=True)
    page.locator("#q").fill("khaisinh")
    expect(page.locator("[data-slot=corrected]")).to_contain_text("khai sinh")
    expect(rows.first).to_contain_text("Đăng ký khai sinh", use_inner_text=True)
    page.locator("#q").fill("kew")
    empty = page.locator("[data-slot=found-empty]")
    expect(empty).to_be_visible()
    expect(page.locator("[data-slot=suggest-btn]")).to_have_text("«kết»", use_inner_text=True)
    expect(empty.locator(".field-chip")).to_have_count(9)
    expect(empty.locator("[data-action=volunteer]")).to_be_visible()
    shot(page, "guide-no-result-portrait-vi")
    page.locator("[data-slot=suggest-btn]").click()
    expect(rows.first).to_contain_text("kết hôn", use_inner_text=True)


def test_every_procedure_screen_is_english_in_english(
    browser: Any, demo: serverproc.Server, kiosk: str
) -> None:
    page = open_guide(browser, demo, kiosk, lang="en")
    page.locator("#q").fill("marry a foreigner")
    page.locator("[data-slot=found-list] .proc-row").first.click()
    screen = page.locator("#procedure")
    expect(page.locator("[data-slot=p-name]")).to_have_text(
        "Marriage registration with a foreign element", use_inner_text=True
    )
    expect(page.locator("[data-slot=p-field]")).to_have_text("Civil status", use_inner_text=True)
    expect(page.locator("[data-slot=p-result]")).to_contain_text("Marriage certificate")
    expect(page.locator("[data-slot=p-legal]")).to_contain_text("Law on Marriage and Family")
    expect(page.locator("[data-slot=p-fee]")).to_contain_text("Amount not known")
    expect(page.locator("[data-slot=p-time]")).to_contain_text("5 working days")
    expect(page.locator("[data-slot=p-places]")).to_contain_text("Civil status")
    # No Vietnamese is shown where English exists; legal texts keep their Vietnamese citation
    # beside the English summary, marked as Vietnamese.
    parts = [
        "p-documents",
        "p-who",
        "p-how",
        "p-time",
        "p-fee",
        "p-result",
        "p-places",
        "p-sources",
    ]
    visible = " ".join(page.locator(f"[data-slot={name}]").inner_text() for name in parts)
    visible += " ".join(screen.locator("dt").all_inner_texts())
    for vietnamese in ("Giấy tờ", "Lệ phí", "Kết quả", "Hộ tịch", "ngày làm việc", "Ông/Bà"):
        assert vietnamese not in visible, vietnamese
    citation = page.locator("[data-slot=p-legal] li").first
    expect(citation.locator("[lang=vi]")).to_have_text("Luật Hôn nhân và gia đình số 52/2014/QH13")
    close(page)


def test_marriage_registration_in_english_on_a_landscape_kiosk(
    browser: Any, demo: serverproc.Server, kiosk: str
) -> None:
    page = open_guide(browser, demo, kiosk, LANDSCAPE, lang="en")
    shot(page, "guide-home-landscape-en")
    page.locator("#q").fill("dang ky ket hon")
    page.locator("[data-slot=found-list] .proc-row").first.click()
    expect(page.locator("[data-slot=p-name]")).to_contain_text(
        "Marriage registration", use_inner_text=True
    )
    expect(page.locator("[data-slot=p-who]")).to_contain_text(
        "Are both partners Vietnamese citizens living in Vietnam?", use_inner_text=True
    )
    expect(page.locator("[data-slot=p-badges]")).to_contain_text(
        "Partly online", use_inner_text=True
    )
    qr_loaded(page, "[data-slot=p-qr]")
    shot(page, "guide-procedure-landscape-en")

    page.locator("#procedure .cta-row [data-action=wizard]").click()
    answer(page, True, True, True, True)
    papers = page.locator("[data-slot=c-papers] li")
    expect(papers).to_have_count(2)
    expect(papers.nth(1)).to_contain_text("Proof of divorce", use_inner_text=True)
    expect(page.locator("[data-slot=c-notes]")).to_contain_text(
        "Only in some cases", use_inner_text=True
    )
    shot(page, "guide-checklist-landscape-en")

    # The language switches in place: the list stays.
    page.locator(".bar [data-action=lang]").click()
    expect(papers.nth(1)).to_contain_text("Giấy tờ chứng minh đã ly hôn", use_inner_text=True)
    page.locator(".bar [data-action=lang]").click()

    page.locator("#checklist [data-when=ok] [data-action=steps]").click()
    for _ in range(8):
        page.locator("[data-action=step-next]").click()
    expect(page.locator(".step-card").nth(8)).to_contain_text(
        "WRITE DOWN THE DOSSIER CODE", use_inner_text=True
    )
    shot(page, "guide-steps-landscape-en")
    page.locator("#steps [data-action=back]").click()

    # A foreign partner: since 1 July 2025 the ward handles it, under its own procedure.
    page.locator("#checklist [data-when=ok] [data-action=wizard]").click()
    answer(page, False)
    expect(page.locator("#checklist")).to_have_attribute("data-state", "stopped")
    suggested = page.locator("[data-slot=c-suggest-btn]")
    expect(suggested).to_have_text(
        "Marriage registration with a foreign element", use_inner_text=True
    )
    expect(page.locator("#checklist")).not_to_contain_text("provincial")
    suggested.click()
    expect(page.locator("[data-slot=p-code]")).to_have_text("2.000806")
    close(page)


@pytest.mark.parametrize(("viewport", "suffix"), [(PORTRAIT, "portrait"), (LANDSCAPE, "landscape")])
def test_certified_copy_with_a_per_page_fee(
    browser: Any, demo: serverproc.Server, kiosk: str, viewport: Any, suffix: str
) -> None:
    page = open_guide(browser, demo, kiosk, viewport)
    page.locator('.browse .field-chip[data-field="Chứng thực"]').click()
    rows = page.locator("[data-slot=found-list] .proc-row")
    expect(rows).to_have_count(8)
    rows.filter(has_text="Chứng thực bản sao từ bản chính").click()
    expect(page.locator("[data-slot=p-badges]")).to_contain_text(
        "Trực tuyến một phần", use_inner_text=True
    )
    page.locator("#procedure .cta-row [data-action=wizard]").click()
    answer(page, True, True, False)
    fee = page.locator("[data-slot=c-fee]")
    expect(fee).to_contain_text("2.000", use_inner_text=True)  # one page, one copy
    for _ in range(4):
        page.locator('[data-action=inc][data-input="pages"]').click()
    page.locator('[data-action=inc][data-input="copies"]').click()
    expect(page.locator("[data-slot=c-pages]")).to_have_text("5", use_inner_text=True)
    expect(fee).to_contain_text("14.000", use_inner_text=True)  # (2 × 2.000 + 3 × 1.000) × 2
    if suffix == "landscape":
        page.locator("#checklist [data-action=wizard]").first.scroll_into_view_if_needed()
    shot(page, f"guide-fee-{suffix}-vi")
    close(page)


def test_dossier_lookup_never_sends_the_code(guide: Any) -> None:
    page = guide
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url + (r.post_data or "")))
    page.locator("#home [data-action=lookup]").click()
    page.locator("#dossier-code").click()
    tap_keys(page, "000.00.53.h48-220921-0099")
    page.locator('#keyboard [data-key="done"]').click()  # submits
    expect(page.locator("[data-slot=l-code]")).to_have_text(
        "000.00.53.H48-220921-0099", use_inner_text=True
    )
    qr_loaded(page, "[data-slot=l-result] img")
    shot(page, "guide-lookup-portrait-vi")
    page.locator("#dossier-code").fill("  " + "X" * 41 + "  ")
    page.locator(".code-form button[type=submit]").click()
    expect(page.locator("[data-slot=l-error]")).to_have_attribute("data-state", "long")
    page.locator("#dossier-code").fill("   ")
    page.locator(".code-form button[type=submit]").click()
    expect(page.locator("[data-slot=l-error]")).to_have_attribute("data-state", "empty")
    assert not any("220921" in s or "XXXX" in s for s in sent)


def test_calling_a_volunteer_takes_a_support_ticket(guide: Any, demo: serverproc.Server) -> None:
    page = guide

    def waiting() -> int:
        _, services = demo.request("GET", "/api/v1/sites/ct1a/services")
        return next(s["waiting"] for s in services if s["code"] == "hotro")

    before = waiting()
    page.locator(".foot [data-action=volunteer]").click()
    page.locator("[data-action=volunteer-confirm]").click()
    number = page.locator("[data-slot=t-number]")
    expect(number).to_have_text(re.compile(r"^H\d{3}$"), use_inner_text=True)
    expect(page.locator("[data-slot=t-print]")).to_contain_text("Đã in phiếu", use_inner_text=True)
    shot(page, "guide-volunteer-portrait-vi")
    assert waiting() == before + 1
    # Asking again shows the same number instead of taking another.
    shown = number.inner_text()
    page.locator("#ticket [data-action=close]").click()
    page.locator(".foot [data-action=volunteer]").click()
    expect(number).to_have_text(shown, use_inner_text=True)
    assert waiting() == before + 1


def test_the_session_is_wiped_after_idling(
    browser: Any, demo: serverproc.Server, kiosk: str
) -> None:
    page = open_guide(browser, demo, kiosk, lang="en", clock=True)
    page.locator("#q").fill("khai tu")
    page.locator("[data-slot=found-list] .proc-row").first.click()
    page.locator("#procedure [data-action=back]").click()
    page.locator(".found-head [data-action=clear-search]").click()
    page.locator("#home [data-action=lookup]").click()
    page.locator("#dossier-code").fill("ABC-123")
    page.evaluate("sessionStorage.setItem('probe', '1'); localStorage.setItem('probe', '1')")
    before = page.evaluate("history.length")

    page.clock.fast_forward((IDLE_S - 15) * 1000)
    expect(page.locator("#idle")).to_be_visible()
    shot(page, "guide-idle-portrait-en")
    page.clock.fast_forward(20 * 1000)
    page.wait_for_url(re.compile(r"/guide\?site=ct1a&lang=vi$"))
    expect(page.locator("#home")).to_be_visible()
    expect(page.locator("#lookup")).to_be_hidden()
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    assert page.evaluate("[...document.querySelectorAll('input')].every(i => i.value === '')")
    assert page.evaluate("document.body.dataset.lang") == "vi"
    assert page.evaluate("history.length") == before
    # Untouched, the fresh page stays put (no reload loop on an empty kiosk).
    page.clock.fast_forward((IDLE_S + 30) * 1000)
    time.sleep(0.3)
    assert page.url.endswith("lang=vi")
    close(page)


def test_an_in_person_ticket_with_its_live_wait(browser: Any, demo: serverproc.Server) -> None:
    # Remote tickets are off in the demo, so this is the hall's own kiosk running the guide:
    # the same button and dialog, for its own counter.
    token = demo.device_token("kiosk-hall-1", kind="kiosk", site="hall")
    # The catalogue is held back until the card has been tapped (a slow first load): the
    # tap is kept and the procedure opens once the catalogue arrives. (Service workers off,
    # so that the page's own request is the one held.)
    page = new_page(browser, LANDSCAPE, service_workers="block")
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    held: list[Any] = []
    page.route("**/guide/catalogue.json*", lambda route: held.append(route))
    enroll(page, demo, token)
    page.goto(f"{demo.url}/guide")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page never asked for its catalogue"
    page.locator('.proc-card[data-code="1.000894"]').click()
    expect(page.locator("#home")).to_be_visible()
    held[0].continue_()
    place = page.locator("#procedure .place")
    expect(place.locator("[data-wait]")).to_contain_text(
        re.compile("Không có người chờ|Đang chờ"), use_inner_text=True
    )
    place.locator("[data-action=hall-ticket]").click()
    number = page.locator("[data-slot=t-number]")
    expect(number).to_have_text(re.compile(r"^B\d{3}$"), use_inner_text=True)
    expect(page.locator("#ticket .dialog")).to_contain_text(
        "Số thứ tự tại trụ sở", use_inner_text=True
    )
    shot(page, "guide-hall-ticket-landscape-vi")
    page.locator("#ticket [data-action=close]").click()
    expect(place.locator("[data-wait]")).to_contain_text("Đang chờ: ", use_inner_text=True)
    close(page)
