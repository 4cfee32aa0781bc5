"""The kiosk page and the phone tracking page through the Flask test client: who may open the
kiosk, what it is given, the QR image, the number read aloud, the tracking page and its rating."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.views.kiosk import counters_text, field_groups
from tests.conftest import CAST, Actions


def enroll(client: Any, token: str) -> Any:
    return client.get(f"/enroll?token={token}")


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page carries its CSRF token"
    return found.group(1)


def page_data(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="kiosk-data"[^>]*>(.*?)</script>', html, re.S
    )
    assert found
    return json.loads(found.group(1))  # type: ignore[no-any-return]


@pytest.fixture
def kiosk(actions: Actions, client: Any) -> str:
    """An enrolled kiosk browser (the test client holds the device cookie); returns the page."""
    token = actions.device("kiosk-1", "kiosk")
    resp = enroll(client, token)
    assert resp.status_code == 302 and resp.headers["Location"] == "/kiosk/hall"
    page = client.get("/kiosk/hall")
    assert page.status_code == 200
    return page.get_data(as_text=True)  # type: ignore[no-any-return]


def test_a_visitor_gets_a_friendly_refusal_and_cannot_issue(client: Any) -> None:
    page = client.get("/kiosk/hall")
    assert page.status_code == 403
    text = page.get_data(as_text=True)  # both languages, and the next step
    assert "chưa được đăng ký" in text and "not enrolled" in text
    assert "motcua device link" in text and "/login?next=" in text
    resp = client.post("/api/v1/tickets", json={"site": "hall", "service": "cert"})
    assert resp.status_code == 401


def test_other_devices_and_sites(actions: Actions, client: Any) -> None:
    assert client.get("/kiosk/nowhere").status_code == 404
    enroll(client, actions.device("display-1", "display", display=1))
    assert client.get("/kiosk/hall").status_code == 403
    enroll(client, actions.device("kiosk-annex", "kiosk", site="annex"))
    resp = client.get("/kiosk/hall")
    assert resp.status_code == 302 and resp.headers["Location"] == "/kiosk/annex"


def test_the_page_has_every_service_and_no_inline_script(kiosk: str) -> None:
    for code, name in (("cert", "Chứng thực"), ("civil", "Hộ tịch")):
        assert f'data-service="{code}"' in kiosk
        assert name in kiosk
    assert 'data-counters-vi="Quầy 1, 2"' in kiosk
    data = page_data(kiosk)
    assert data["site"] == "hall" and data["returnHomeS"] == 20 and data["idleS"] == 45
    assert data["readAloud"] is False and data["tz"] == "Asia/Ho_Chi_Minh"
    scripts = re.findall(r"<script([^>]*)>", kiosk)
    assert scripts and all("src=" in s or 'type="application/json"' in s for s in scripts)
    assert "/static/vendor/socket.io.min.js" in kiosk and "cdn" not in kiosk.lower()
    # The priority path is offered (cast: kiosk "self") with every configured group.
    assert 'data-group="elderly"' in kiosk and 'data-group="disability"' in kiosk
    assert "Hướng dẫn nộp hồ sơ trực tuyến" not in kiosk  # the hall is no support point


def test_the_page_issues_with_its_cookie_csrf_token_and_idempotency_key(
    kiosk: str, client: Any
) -> None:
    body = {"site": "hall", "service": "cert"}
    assert client.post("/api/v1/tickets", json=body).status_code == 400  # no CSRF token
    headers = {"X-CSRF-Token": csrf_of(kiosk), "Idempotency-Key": "tap-1"}
    first = client.post("/api/v1/tickets", json=body, headers=headers)
    again = client.post("/api/v1/tickets", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    ticket = first.get_json()
    assert again.get_json()["id"] == ticket["id"]
    # The issuing kiosk reads its ticket back (the print status it shows).
    read = client.get(f"/api/v1/tickets/{ticket['id']}")
    assert read.status_code == 200 and read.get_json()["number"] == ticket["number"] == "A001"


def test_qr_image_of_the_tracking_url(actions: Actions, client: Any) -> None:
    ticket = actions.issue(actions.device("kiosk-1", "kiosk")).get_json()
    resp = client.get(f"/t/{ticket['code']}/qr.svg")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert resp.get_data(as_text=True).startswith("<svg") and "<path" in resp.get_data(as_text=True)
    assert client.get("/t/not-a-real-code/qr.svg").status_code == 404


def test_tracking_page_follows_the_ticket_and_offers_the_rating(
    actions: Actions, client: Any
) -> None:
    staff = actions.user("canbo", "staff")
    ticket = actions.issue(actions.device("kiosk-1", "kiosk")).get_json()
    assert ticket["track_url"] == f"http://motcua.test/t/{ticket['code']}"
    page = client.get(f"/t/{ticket['code']}").get_data(as_text=True)
    assert "A001" in page and "Đang chờ đến lượt" in page and "Chứng thực" in page
    assert 'class="card rating" data-state="closed"' in page
    assert "không phải giấy tiếp nhận" in page
    english = client.get(f"/t/{ticket['code']}?lang=en").get_data(as_text=True)
    assert "Waiting for your turn" in english

    assert actions.call_next(staff, counter=2).status_code == 200
    page = client.get(f"/t/{ticket['code']}?lang=vi").get_data(as_text=True)
    assert "Đã đến lượt Ông/Bà!" in re.sub(r"\s+", " ", _visible(page))
    assert "Quầy 2" in page

    assert actions.act(staff, ticket["id"], "done").status_code == 200
    page = client.get(f"/t/{ticket['code']}").get_data(as_text=True)
    assert 'class="card rating" data-state="open"' in page
    for label in ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"):
        assert label in page
    assert 'value="long_wait"' in page  # negative reasons from config
    resp = client.post(f"/api/v1/track/{ticket['code']}/rating", json={"score": 4})
    assert resp.status_code == 201
    page = client.get(f"/t/{ticket['code']}").get_data(as_text=True)
    assert 'data-state="closed"' in page


def test_unknown_tracking_code_is_a_friendly_404(client: Any) -> None:
    resp = client.get("/t/nope")
    assert resp.status_code == 404
    assert "Không tìm thấy số thứ tự" in resp.get_data(as_text=True)


def test_number_aloud_only_where_enabled(actions: Actions, client: Any) -> None:
    assert client.get("/kiosk/hall/voice/A001.wav").status_code == 404


Edit = Callable[[str], str]


def app_with(tmp_path: Path, main: Edit = str, hall: Edit = str) -> Any:
    """An app on a copy of the cast whose motcua.yaml and sites/hall.yaml are edited."""
    from kiosk import create_app
    from kiosk.dbsetup import load_config as load_rows
    from kiosk.dbsetup import upgrade

    config = shutil.copytree(CAST, tmp_path / "config")
    for path, edit in ((config / "motcua.yaml", main), (config / "sites" / "hall.yaml", hall)):
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    app = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(config),
            "database_url": f"sqlite:///{tmp_path / 'app.sqlite3'}",
            "secret_key": "test",
            "testing": True,
        }
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    load_rows(m.db, m.config)
    return app


def kiosk_page_of(app: Any) -> str:
    actions = Actions(app, app.test_client())
    enroll(actions.client, actions.device("kiosk-1", "kiosk"))
    return actions.client.get("/kiosk/hall").get_data(as_text=True)  # type: ignore[no-any-return]


def test_number_aloud(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    app = app_with(tmp_path, hall=lambda text: text + "read_aloud: true\n")
    assert page_data(kiosk_page_of(app))["readAloud"] is True
    client = app.test_client()
    actions = Actions(app, client)
    issued = actions.issue(actions.user("voice-staff")).get_json()["number"]
    with client.get(f"/kiosk/hall/voice/{issued}.wav") as resp:
        assert resp.status_code == 200 and resp.mimetype == "audio/wav"
        assert resp.data[:4] == b"RIFF" and len(resp.data) > 20_000
    assert client.get("/kiosk/hall/voice/a12.wav").status_code == 404
    assert client.get("/kiosk/hall/voice/A999.wav").status_code == 404  # never issued
    app.extensions["motcua"].db.dispose()


@pytest.mark.parametrize("mode", ["confirm", "off"])
def test_priority_path_follows_the_configured_policy(tmp_path: Path, mode: str) -> None:
    def policy(text: str) -> str:
        assert "  kiosk: self\n" in text
        return text.replace("  kiosk: self\n", f'  kiosk: "{mode}"\n')  # YAML reads off as false

    app = app_with(tmp_path, main=policy)
    page = kiosk_page_of(app)
    if mode == "confirm":
        assert 'data-priority-mode="confirm"' in page and 'class="big priority-btn"' in page
        assert "xin trình với cán bộ tiếp nhận" in page
    else:
        assert "priority-btn" not in page and 'id="priority"' not in page
    app.extensions["motcua"].db.dispose()


def test_counters_and_fields_for_the_buttons(cast: Any) -> None:
    hall = cast.site("hall")
    assert counters_text(hall, hall.service("cert")) == ("Quầy 1, 2", "Counters 1, 2")
    annex = cast.site("annex")
    assert counters_text(annex, annex.service("help")) == ("Bàn 1", "Counter 1")
    assert [(f, [s.code for s in group]) for f, group in field_groups(hall.services)] == [
        ("", ["cert", "civil"])
    ]


def _visible(html: str) -> str:
    """The page without the elements it hides."""
    return re.sub(r"<div class=\"status[^\"]*\"[^>]*hidden>.*?</div>", "", html, flags=re.S)
