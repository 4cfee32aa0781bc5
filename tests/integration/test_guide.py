"""The guide page /guide and its QR codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Actions
from tests.guide_cast import make_app, write_config

PORTAL = "https://dichvucong.gov.vn/p/home/"


@pytest.fixture
def gapp(tmp_path: Path, clock: Any) -> Iterator[Any]:
    app = make_app(tmp_path, clock, write_config(tmp_path / "config"))
    yield app
    app.extensions["motcua"].db.dispose()


@pytest.fixture
def actions(gapp: Any) -> Actions:
    return Actions(gapp, gapp.test_client())


def page_data(resp: Any) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="guide-data">(.*?)</script>', resp.text)
    assert found is not None
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_the_page_for_anyone(actions: Actions) -> None:
    resp = actions.client.get("/guide?site=point")
    assert resp.status_code == 200
    data = page_data(resp)
    assert data["site"] == "point" and data["kiosk"] is False and data["printer"] is False
    assert data["volunteer"] is None and data["codeMax"] == 40
    html = resp.text
    assert "Bạn cần làm thủ tục gì?" in html and "Đăng ký khai sinh" in html
    assert 'data-action="volunteer"' not in html  # not a kiosk: no ticket to take
    # No inline script beyond the JSON data, and nothing that asks for a password or an ID.
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert scripts == [' type="application/json" id="guide-data"']
    assert 'type="password"' not in html and "Số CCCD" not in html
    assert resp.headers["Cache-Control"] == "no-store"
    # The portal steps name the configured province and office.
    assert "Thành phố Thử" in html and "UBND phường Thử" in html
    assert actions.client.get("/guide?site=nowhere").status_code == 404
    # Without ?site= the first site with a guide.
    assert page_data(actions.client.get("/guide"))["site"] == "point"


def test_the_page_in_english(actions: Actions) -> None:
    resp = actions.client.get("/guide?site=point&lang=en")
    assert page_data(resp)["lang"] == "en" and '<html lang="en">' in resp.text
    assert 'data-lang="en"' in resp.text and "How to apply online" in resp.text
    back = actions.client.get("/guide?site=point&lang=vi")
    assert page_data(back)["lang"] == "vi"


def test_an_enrolled_kiosk_gets_its_own_site_printing_and_help(actions: Actions) -> None:
    token = actions.device("kiosk-point", "kiosk", site="point")
    assert actions.client.get(f"/enroll?token={token}").status_code == 302
    resp = actions.client.get("/guide?site=hall")  # a kiosk always guides at its own site
    data = page_data(resp)
    assert (data["site"], data["kiosk"], data["printer"], data["volunteer"]) == (
        "point",
        True,
        True,
        "help",
    )
    assert data["kioskHome"] == "/kiosk/point"
    assert 'data-action="volunteer"' in resp.text and 'data-action="print"' in resp.text
    assert 'inputmode="none"' in resp.text and 'id="keyboard"' in resp.text


def test_the_home_screen_offers_the_most_viewed(actions: Actions) -> None:
    for _ in range(2):
        actions.client.post("/api/v1/procedures/2.000815/views", json={"site": "point"})
    html = actions.client.get("/guide?site=point").text
    cards = re.findall(r'class="proc-card" data-action="open" data-code="([0-9.]+)"', html)
    assert cards[:3] == ["2.000815", "1.001193", "2.000986"] and len(cards) == 6


def _decode(png: bytes, tmp_path: Path) -> str:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg missing (Debian package zbar-tools)")
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    out = subprocess.run(
        ["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, timeout=20
    )
    return out.stdout.strip()


def test_qr_codes_only_for_known_targets(actions: Actions, tmp_path: Path) -> None:
    client = actions.client
    resp = client.get("/guide/qr/1.001193.png")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert _decode(resp.data, tmp_path) == (
        PORTAL + "dvc-chi-tiet-thu-tuc-hanh-chinh.html?ma_thu_tuc=1.001193"
    )
    assert _decode(client.get("/guide/qr/lookup.png").data, tmp_path) == (
        PORTAL + "dvc-tra-cuu-ho-so.html"
    )
    assert _decode(client.get("/guide/qr/portal.png").data, tmp_path) == (
        "https://dichvucong.gov.vn/"
    )
    # An alt code is the same procedure; a suggested procedure outside the catalogue too.
    assert client.get("/guide/qr/3.000722.png").status_code == 200
    assert _decode(client.get("/guide/qr/2.000806.png").data, tmp_path).endswith("=2.000806")
    # Never a QR generator for arbitrary text (a typed dossier code never reaches us).
    for path in ("/guide/qr/9.999999.png", "/guide/qr/000.00.53.H48-220921-0099.png"):
        assert client.get(path).status_code == 404
    assert (
        client.get("/guide/qr/lookup.png?code=ABC").data == client.get("/guide/qr/lookup.png").data
    )


# --- the procedure chosen at the hall kiosk, as the counter sees it ----------------------------


def test_kiosk_offers_the_services_procedures_and_the_counter_sees_the_choice(
    tmp_path: Path, clock: Any
) -> None:
    from tests.integration.test_kiosk_pages import enroll
    from tests.integration.test_kiosk_pages import page_data as kiosk_data

    folder = write_config(tmp_path / "config")
    hall = folder / "sites" / "hall.yaml"
    hall.write_text("kiosk_procedures: true\n" + hall.read_text(encoding="utf-8"), "utf-8")
    app = make_app(tmp_path, clock, folder)
    try:
        actions = Actions(app, app.test_client())
        kiosk = actions.device("kiosk-hall", "kiosk")
        assert enroll(actions.client, kiosk).status_code == 302
        offered = kiosk_data(actions.client.get("/kiosk/hall").get_data(as_text=True))
        civil = offered["procedures"]["civil"]
        assert {"code": "1.001193", "vi": "Đăng ký khai sinh", "en": "Birth registration"} in civil
        assert all(p["code"] != "1.001193" for p in offered["procedures"]["cert"])

        ticket = actions.issue(kiosk, service="civil", procedure="1.001193").get_json()
        staff = actions.user("anna", site="hall")
        assert actions.call_next(staff).get_json()["id"] == ticket["id"]
        board = actions.client.get(
            "/api/v1/counters/hall/1/board", headers=actions.auth(staff)
        ).get_json()
        current = board["current"]
        assert current["procedure"] == "1.001193"
        assert (current["procedure_name"], current["procedure_name_en"]) == (
            "Đăng ký khai sinh",
            "Birth registration",
        )
    finally:
        app.extensions["motcua"].db.dispose()


def test_the_kiosk_asks_no_procedure_unless_the_site_wants_it(actions: Actions) -> None:
    from tests.integration.test_kiosk_pages import enroll
    from tests.integration.test_kiosk_pages import page_data as kiosk_data

    kiosk = actions.device("kiosk-hall", "kiosk")
    assert enroll(actions.client, kiosk).status_code == 302
    page = actions.client.get("/kiosk/hall").get_data(as_text=True)
    assert kiosk_data(page)["procedures"] == {}
