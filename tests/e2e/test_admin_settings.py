"""An admin changes a display's notice in its form; the display page already open shows the
new notice by itself (the `config` push), with nobody touching it. Screenshots of the forms
for displays, kiosk printers, the rating scale, the ticket header and the announcement
(``scripts/screenshots -k admin_settings`` refreshes docs/screenshots/admin-*-form-*.png)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests import serverproc
from tests.e2e.conftest import LANDSCAPE, enroll, login, new_page, shot
from tests.e2e.test_admin import office
from tests.e2e.test_display import wait_until
from tests.e2e.test_kiosk import close, open_kiosk, service

pytestmark = pytest.mark.e2e
__all__ = ["office"]  # the fixture this module uses

RENAMED = "Đăng ký khai sinh (tên đã sửa)"
PROCEDURE_NAMED = """JSON.parse(document.getElementById("kiosk-data").textContent)
  .procedures.hotich.some((p) => p.code === "%s" && p.vi === "%s")"""
NOTICE = "Chiều nay nghỉ tiếp dân từ 15:00 để họp giao ban."


def test_admin_changes_the_notice_and_the_open_display_shows_it(
    browser: Any, office: serverproc.Server
) -> None:
    office.cli("user", "add", "chief", "--role", "admin", stdin=serverproc.PASSWORD + "\n")
    tv_token = office.device_token("tv-notice", kind="display", display=1)
    tv = new_page(browser, LANDSCAPE)
    admin = new_page(browser, LANDSCAPE)
    try:
        enroll(tv, office, tv_token)
        tv.wait_for_selector("body[data-synced]")
        expect(tv.locator(".ticker-track")).not_to_contain_text(NOTICE)

        login(admin, office, "chief", "/admin/sites/hall")
        admin.click('#displays tr[data-display="1"] a')
        admin.wait_for_selector("#display-form")
        shot(admin, "admin-display-form-vi")
        # A one-counter layout with all the counters ticked is refused, the field marked.
        admin.select_option("select[name=layout]", "counter")
        admin.click("#display-form button[type=submit]")
        admin.wait_for_selector("#problem")
        assert admin.locator(".form-row.invalid input[name=show_1]").count() == 1
        shot(admin, "admin-display-form-refused-vi")
        admin.select_option("select[name=layout]", "hall")
        admin.fill("textarea[name=notice]", NOTICE)
        admin.fill("input[name=volume]", "60")
        admin.click("#display-form button[type=submit]")
        admin.wait_for_selector('#displays tr.just-saved[data-display="1"]')
        expect(admin.locator('#displays tr[data-display="1"]')).to_contain_text("60%")

        # The open display takes it up by itself.
        expect(tv.locator(".ticker-track")).to_contain_text(NOTICE, timeout=10_000)
        tv.wait_for_selector("body[data-synced]")
        shot(tv, "display-notice-changed-vi")

        forms = {
            "kiosk": "/admin/sites/hall/kiosks/kiosk-hall-1",
            "rating": "/admin/settings/rating",
            "ticket-header": "/admin/settings/ticket-header",
            "announcement": "/admin/settings/announcement",
        }
        for name, path in forms.items():
            for lang in ("vi", "en"):
                admin.goto(f"{office.url}{path}?lang={lang}")
                admin.wait_for_selector("form.admin-form")
                shot(admin, f"admin-{name}-form-{lang}")
        # The announcement's preview shows the sentence before it is saved.
        admin.goto(f"{office.url}/admin/settings/announcement?lang=vi")
        admin.fill("input[name=vi]", "Mời công dân số {number} tới quầy {counter}")
        admin.click("button[name=preview]")
        expect(admin.locator("#preview")).to_contain_text("Mời công dân số A012 tới quầy 3")
        shot(admin, "admin-announcement-preview-vi")
    finally:
        tv.context.close()
        admin.context.close()


def test_an_open_kiosk_offers_an_edited_procedure_at_once(
    browser: Any, office: serverproc.Server
) -> None:
    """The kiosk's procedure step is read again on the `config` push: an admin renames a
    procedure and the kiosk, never reloaded, offers it under its new name."""
    office.cli("user", "add", "editor", "--role", "admin", stdin=serverproc.PASSWORD + "\n")
    kiosk = open_kiosk(browser, office, office.device_token("kiosk-procedures"))
    admin = new_page(browser, LANDSCAPE)
    try:
        kiosk.evaluate("window.__notReloaded = true")
        service(kiosk, "hotich").tap()
        first = kiosk.locator("#procedure .procedure-choice").first
        first.wait_for()
        code = first.get_attribute("data-code")
        kiosk.locator("#procedure .back").tap()
        kiosk.locator("#home").wait_for(state="visible")

        login(admin, office, "editor", f"/admin/procedures/{code}")
        body = admin.input_value("textarea[name=body]")
        renamed = re.sub(r"^name_vi: .*$", f"name_vi: {RENAMED}", body, count=1, flags=re.M)
        assert renamed != body
        admin.fill("textarea[name=body]", renamed)
        admin.click("#procedure-form button[type=submit]")
        admin.wait_for_selector(".form-saved")

        # The push arrived: the page's data holds the new name (tapping before would race it).
        wait_until(kiosk, PROCEDURE_NAMED % (code, RENAMED))
        service(kiosk, "hotich").tap()
        expect(kiosk.locator(f'#procedure .procedure-choice[data-code="{code}"]')).to_contain_text(
            RENAMED
        )
        assert kiosk.evaluate("window.__notReloaded") is True
    finally:
        close(kiosk)
        admin.context.close()
