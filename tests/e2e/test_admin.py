"""An admin adds a service and a counter in the browser; a kiosk page already open offers the
new service at once, without anyone reloading it. Screenshots of the admin pages in both
languages (``scripts/screenshots`` refreshes docs/screenshots/admin-*.png)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import serverproc
from tests.e2e.conftest import LANDSCAPE, REPO, enroll, login, new_page, shot
from tests.e2e.test_kiosk import ticket_on_screen

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo configuration served for real (its own database: this test changes it)."""
    base = tmp_path_factory.mktemp("admin")
    server = serverproc.Server(base / "instance", config=REPO / "config")
    try:
        server.init_db()
        server.start()
        yield server
    finally:
        server.stop()


def test_admin_adds_a_service_and_a_counter_and_the_open_kiosk_offers_it(
    browser: Any, office: serverproc.Server
) -> None:
    office.cli("user", "add", "boss", "--role", "admin", stdin=serverproc.PASSWORD + "\n")
    kiosk_token = office.device_token("kiosk-e2e", kind="kiosk", site="hall")
    kiosk = new_page(browser)
    admin = new_page(browser, LANDSCAPE)
    try:
        enroll(kiosk, office, kiosk_token)
        kiosk.wait_for_selector(".service[data-service]")
        assert kiosk.locator('.service[data-service="passport"]').count() == 0
        kiosk.evaluate("window.__notReloaded = true")

        login(admin, office, "boss", "/admin/sites/hall")
        admin.wait_for_selector("#services")
        shot(admin, "admin-site-vi")
        admin.click("#add-service")
        admin.fill("input[name=code]", "passport")
        admin.fill("input[name=prefix]", "A")  # taken: refused, the form keeps what was typed
        admin.fill("input[name=name]", "Hộ chiếu")
        admin.fill("input[name=name_en]", "Passports")
        admin.fill("textarea[name=hours]", "daily: 00:00-24:00")
        admin.fill("input[name=daily_cap]", "40")
        admin.click("#service-form button[type=submit]")
        admin.wait_for_selector("#problem")
        assert admin.input_value("input[name=name]") == "Hộ chiếu"
        assert admin.locator(".form-row.invalid input[name=prefix]").count() == 1
        shot(admin, "admin-service-refused-vi")
        admin.fill("input[name=prefix]", "P")
        admin.click("#service-form button[type=submit]")
        admin.wait_for_selector('#services tr[data-service="passport"]')

        # The open kiosk offers it already: pushed, no reload.
        kiosk.wait_for_selector('.service[data-service="passport"]', timeout=5000)
        assert kiosk.evaluate("window.__notReloaded") is True

        admin.click("#add-counter")
        admin.fill("input[name=number]", "9")
        admin.fill("input[name=name]", "Quầy 9")
        admin.check("input[name=serve_passport]")
        admin.fill("input[name=order_passport]", "1")
        shot(admin, "admin-counter-vi")
        admin.click("#counter-form button[type=submit]")
        admin.wait_for_selector('#counters tr[data-counter="9"]')

        # A citizen takes a number for it at the kiosk.
        kiosk.locator('.service[data-service="passport"]').tap()
        number, _ = ticket_on_screen(kiosk)
        assert number == "P001"

        # English pages.
        admin.goto(f"{office.url}/admin/sites/hall?lang=en")
        admin.wait_for_selector("#services")
        shot(admin, "admin-site-en")
        admin.goto(f"{office.url}/admin/sites/hall/services/passport?lang=en")
        shot(admin, "admin-service-en")
        admin.goto(f"{office.url}/admin/procedures?lang=en")
        shot(admin, "admin-procedures-en")
        admin.goto(f"{office.url}/admin/config?lang=vi")
        shot(admin, "admin-config-vi")
    finally:
        kiosk.context.close()
        admin.context.close()
