"""Refresh the screenshots of the guide (docs/screenshots/guide-*.png), in both languages.

    scripts/screenshots-guide [--out docs/screenshots] [--only NAME-PREFIX]

It serves the demo configuration (config/) for real on a throw-away instance, enrolls a kiosk
at the support point CT1A and one at the hall, and walks every guide screen in Vietnamese and
in English: home, search, no result, procedure, wizard, "not sure", checklist, fee, portal
steps, dossier lookup, volunteer ticket, hall ticket, idle warning, and offline (the server
really stopped). Portrait for all of them, landscape for those a landscape kiosk shows
differently. The names are guide-<screen>-<portrait|landscape>-<vi|en>.png; the tests take the
same pictures under the same names but do not write them into docs/.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

from tests import serverproc
from tests.e2e.conftest import CHROMIUM, LANDSCAPE, PORTRAIT, REPO, enroll, new_page
from tests.e2e.test_guide import answer, qr_loaded

IDLE_S = 150  # kiosk.guide_idle_s in the demo


class Shooter:
    def __init__(self, browser: Any, demo: serverproc.Server, out: Path, only: str) -> None:
        self.browser = browser
        self.demo = demo
        self.out = out
        self.only = only
        self.point = demo.device_token("kiosk-ct1a-shots", kind="kiosk", site="ct1a")
        self.hall = demo.device_token("kiosk-hall-shots", kind="kiosk", site="hall")
        self.written: list[Path] = []

    def wanted(self, screen: str) -> bool:
        return f"guide-{screen}".startswith(self.only) or self.only.startswith(f"guide-{screen}")

    def shot(self, page: Any, screen: str, orientation: str, lang: str) -> None:
        page.wait_for_timeout(250)  # let transitions settle
        path = self.out / f"guide-{screen}-{orientation}-{lang}.png"
        page.screenshot(path=str(path))
        self.written.append(path)
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)

    @contextmanager
    def guide(
        self, orientation: str, lang: str, *, site: str = "ct1a", clock: bool = False
    ) -> Iterator[Any]:
        page = new_page(self.browser, PORTRAIT if orientation == "portrait" else LANDSCAPE)
        if clock:
            page.clock.install()
        enroll(page, self.demo, self.point if site == "ct1a" else self.hall)
        page.goto(f"{self.demo.url}/guide?site={site}&lang={lang}")
        expect(page.locator("body")).to_have_attribute("data-ready", "1")
        try:
            yield page
        finally:
            page.context.close()


# --- the screens: each takes a page on the guide's home and leaves its screen showing ----------


def home(page: Any, lang: str) -> None:
    expect(page.locator("#home")).to_be_visible()


def search(page: Any, lang: str) -> None:
    page.locator("#q").click()
    page.locator("#q").fill("khai sinh" if lang == "vi" else "birth certificate")
    expect(page.locator("[data-slot=found-list] .proc-row").first).to_be_visible()


def no_result(page: Any, lang: str) -> None:
    page.locator("#q").fill("kew")
    expect(page.locator("[data-slot=found-empty]")).to_be_visible()
    done = page.locator('#keyboard [data-key="done"]')
    if done.is_visible():
        done.click()  # the whole screen: fields, did-you-mean and the volunteer


def procedure(page: Any, lang: str) -> None:
    page.locator('.proc-card[data-code="1.001193"]').click()
    qr_loaded(page, "[data-slot=p-qr]")


def wizard(page: Any, lang: str) -> None:
    procedure(page, lang)
    page.locator("#procedure .cta-row [data-action=wizard]").click()
    expect(page.locator("#wizard")).to_be_visible()


def unsure(page: Any, lang: str) -> None:
    wizard(page, lang)
    for value in ("1", "?", "1", "0", "1"):
        page.locator(f"#wizard [data-action=answer][data-value='{value}']").click()
    expect(page.locator("[data-slot=c-unsure]")).to_be_visible()


def checklist(page: Any, lang: str) -> None:
    wizard(page, lang)
    answer(page, True, True, True, False, True)
    expect(page.locator("#checklist")).to_be_visible()


def fee(page: Any, lang: str) -> None:
    page.locator("#q").fill("2.000815")
    page.locator("[data-slot=found-list] .proc-row").first.click()
    page.locator("#procedure .cta-row [data-action=wizard]").click()
    answer(page, True, True, False)
    for _ in range(4):
        page.locator('[data-action=inc][data-input="pages"]').click()
    page.locator('[data-action=inc][data-input="copies"]').click()
    page.locator("[data-slot=c-fee-inputs]").scroll_into_view_if_needed()


def steps(page: Any, lang: str) -> None:
    checklist(page, lang)
    page.locator("#checklist [data-when=ok] [data-action=steps]").click()
    page.locator("[data-action=step-next]").click()
    qr_loaded(page, "[data-slot=s-qr]")


def lookup(page: Any, lang: str) -> None:
    page.locator("#home [data-action=lookup]").click()
    page.locator("#dossier-code").fill("000.00.53.H48-220921-0099")
    page.locator(".code-form button[type=submit]").click()
    qr_loaded(page, "[data-slot=l-result] img")


def volunteer(page: Any, lang: str) -> None:
    page.locator(".foot [data-action=volunteer]").click()
    page.locator("[data-action=volunteer-confirm]").click()
    expect(page.locator("[data-slot=t-number]")).to_have_text(re.compile(r"^H\d{3}$"))


def hall_ticket(page: Any, lang: str) -> None:
    page.locator('.proc-card[data-code="1.000894"]').click()
    place = page.locator("#procedure .place")
    place.locator("[data-action=hall-ticket]").click()
    expect(page.locator("[data-slot=t-number]")).to_have_text(re.compile(r"^B\d{3}$"))


def idle(page: Any, lang: str) -> None:
    page.locator("#q").fill("khai tu")
    page.clock.fast_forward((IDLE_S - 15) * 1000)
    expect(page.locator("#idle")).to_be_visible()


Screen = Callable[[Any, str], None]
# (screen, action, orientations, guide site, needs the page clock)
SCREENS: list[tuple[str, Screen, tuple[str, ...], str, bool]] = [
    ("home", home, ("portrait", "landscape"), "ct1a", False),
    ("search", search, ("portrait",), "ct1a", False),
    ("no-result", no_result, ("portrait",), "ct1a", False),
    ("procedure", procedure, ("portrait", "landscape"), "ct1a", False),
    ("wizard", wizard, ("portrait",), "ct1a", False),
    ("unsure", unsure, ("portrait",), "ct1a", False),
    ("checklist", checklist, ("portrait", "landscape"), "ct1a", False),
    ("fee", fee, ("portrait", "landscape"), "ct1a", False),
    ("steps", steps, ("portrait", "landscape"), "ct1a", False),
    ("lookup", lookup, ("portrait",), "ct1a", False),
    ("volunteer", volunteer, ("portrait",), "ct1a", False),
    ("hall-ticket", hall_ticket, ("landscape",), "hall", False),
    ("idle", idle, ("portrait",), "ct1a", True),
]


def offline(shooter: Shooter, lang: str) -> None:
    """The procedure screen with the server stopped; restarts it afterwards."""
    with shooter.guide("portrait", lang) as page:
        deadline = time.monotonic() + 30
        while page.evaluate("document.body.dataset.offlineReady") != "1":
            assert time.monotonic() < deadline, "the service worker did not get ready"
            page.wait_for_timeout(100)
        shooter.demo.stop()
        try:
            page.locator("#q").fill("giay chung tu")
            page.locator("[data-slot=found-list] .proc-row").first.click()
            expect(page.locator("[data-slot=offline]")).to_be_visible()
            shooter.shot(page, "offline", "portrait", lang)
        finally:
            shooter.demo.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--only", default="guide-", help="only screens whose name starts so")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"screenshots-guide: {CHROMIUM} is missing (scripts/install --test)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        spool = Path(tmp) / "spool"
        spool.mkdir()
        demo = serverproc.Server(
            Path(tmp) / "instance", config=REPO / "config", printer=f"spool:{spool}"
        )
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
        try:
            demo.init_db()
            demo.start()
            shooter = Shooter(browser, demo, args.out, args.only)
            for name, action, orientations, site, clock in SCREENS:
                if not shooter.wanted(name):
                    continue
                for orientation in orientations:
                    for lang in ("vi", "en"):
                        with shooter.guide(orientation, lang, site=site, clock=clock) as page:
                            action(page, lang)
                            shooter.shot(page, name, orientation, lang)
            if shooter.wanted("offline"):
                for lang in ("vi", "en"):
                    offline(shooter, lang)
        finally:
            browser.close()
            demo.stop()
    print(f"{len(shooter.written)} screenshots written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
