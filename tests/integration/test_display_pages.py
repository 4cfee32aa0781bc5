"""Display pages (who may open them, what they embed), and the parts of the /display socket and
the announcement audio that tests/integration/test_display_socket.py does not cover."""

from __future__ import annotations

import io
import json
import re
import wave
from typing import Any

import pytest

from display.announce import AnnouncementTemplate, clip_sequence
from display.pages import page_config
from kiosk.auth import DEVICE_COOKIE
from kiosk.config import Announcement, ConfigError, Display, load_config
from tests.conftest import CAST, Actions


def config_of(resp: Any) -> dict[str, Any]:
    html = resp.get_data(as_text=True)
    m = re.search(r'<script type="application/json" id="display-config">(.*?)</script>', html, re.S)
    assert m, "the page embeds its configuration"
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def sock(app: Any, client: Any, auth: Any = None) -> Any:
    sio = app.extensions["motcua"].socketio
    return sio.test_client(app, namespace="/display", auth=auth, flask_test_client=client)


def received(sc: Any, name: str | None = None) -> list[Any]:
    return [
        (m["name"], m["args"][0]) if name is None else m["args"][0]
        for m in sc.get_received("/display")
        if name is None or m["name"] == name
    ]


@pytest.fixture
def tv(actions: Actions) -> str:
    return actions.device("tv", "display", display=1)


# --- who may open a display page ---------------------------------------------------------------


def test_a_stranger_is_asked_to_enroll_the_screen(client: Any) -> None:
    resp = client.get("/display/1")
    assert resp.status_code == 403
    html = resp.get_data(as_text=True)
    assert "chưa được đăng ký" in html and "not enrolled" in html
    assert "Màn hình 1" in html and "motcua device link" in html
    assert 'id="display-config"' not in html and "socket.io" not in html


def test_the_enrolled_display_opens_its_page(client: Any, tv: str) -> None:
    resp = client.get(f"/enroll?token={tv}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/display/1"
    resp = client.get("/display/1")
    assert resp.status_code == 200
    cfg = config_of(resp)
    assert cfg["display"] == 1 and cfg["site"] == "hall" and cfg["layout"] == "hall"
    assert [c["number"] for c in cfg["counters"]] == [1, 2]
    assert cfg["recent"] == 8 and cfg["volume"] == 1.0 and cfg["watchdog_s"] == 60


def test_other_devices_and_other_displays_are_refused(
    app: Any, client: Any, actions: Actions, tv: str
) -> None:
    client.set_cookie(DEVICE_COOKIE, tv)
    assert client.get("/display/2").status_code == 403  # display 1's device, display 2's page
    client.set_cookie(DEVICE_COOKIE, actions.device("k1", "kiosk"))
    assert client.get("/display/1").status_code == 403
    client.set_cookie(DEVICE_COOKIE, "d_revoked-or-wrong")
    assert client.get("/display/1").status_code == 403
    assert client.get("/display/99").status_code == 404


def test_staff_of_the_site_may_preview_it(client: Any, actions: Actions) -> None:
    actions.user("anna", site="hall", password="correct-horse")
    actions.user("binh", site="annex", password="correct-horse")
    login(client, "binh")
    assert client.get("/display/1").status_code == 403
    assert client.get("/display/2").status_code == 200
    login(client, "anna")
    assert client.get("/display/1").status_code == 200


def login(client: Any, name: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert csrf
    resp = client.post(
        "/login",
        data={"username": name, "password": "correct-horse", "csrf_token": csrf.group(1)},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)


def test_counter_layout_by_query(client: Any, tv: str) -> None:
    client.set_cookie(DEVICE_COOKIE, tv)
    resp = client.get("/display/1?counter=2")
    assert resp.status_code == 200
    cfg = config_of(resp)
    assert cfg["layout"] == "counter" and cfg["counter"] == 2
    assert cfg["counters"] == [{"number": 2, "name": "Quầy 2"}]
    assert cfg["volume"] == 0.0  # the hall display announces; the counter screen stays silent
    assert 'class="cs-head">Quầy 2<' in resp.get_data(as_text=True)
    assert client.get("/display/1?counter=7").status_code == 404


def test_support_point_display_shows_its_own_site_only(client: Any, actions: Actions) -> None:
    client.set_cookie(DEVICE_COOKIE, actions.device("tv2", "display", site="annex", display=2))
    cfg = config_of(client.get("/display/2"))
    assert cfg["site"] == "annex"
    assert set(cfg["services"]) == {"help"}
    assert [c["name"] for c in cfg["counters"]] == ["Bàn 1"]


def test_english_line_on_request(client: Any, tv: str) -> None:
    client.set_cookie(DEVICE_COOKIE, tv)
    html = client.get("/display/1").get_data(as_text=True)
    assert "ĐANG PHỤC VỤ" in html and "NOW SERVING" not in html
    resp = client.get("/display/1?lang=en")
    assert config_of(resp)["english"] is True
    html = resp.get_data(as_text=True)
    assert "ĐANG PHỤC VỤ" in html and "NOW SERVING" in html  # Vietnamese stays first


def test_page_obeys_the_content_security_policy(client: Any, tv: str) -> None:
    client.set_cookie(DEVICE_COOKIE, tv)
    resp = client.get("/display/1")
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    html = resp.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/static/[^"]+)"', html):
        with client.get(src) as static:
            assert static.status_code == 200, src


def test_page_config_volume_quiet_hours_and_counter_layout(app: Any) -> None:
    cfg = app.extensions["motcua"].config
    site, display = cfg.display(1)
    settings = cfg.settings.model_copy(
        update={
            "announcement": cfg.settings.announcement.model_copy(
                update={"quiet_hours": ("11:30-13:30", "21:00-24:00")}
            )
        }
    )
    cfg = cfg.model_copy(update={"settings": settings})
    quiet = display.model_copy(update={"volume": 0.4})
    from datetime import UTC, datetime

    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    page = page_config(
        cfg, site, quiet, None, now.astimezone(app.extensions["motcua"].clock.tz), False
    )
    assert page["volume"] == 0.4
    assert page["quiet_hours"] == [[690, 810], [1260, 1440]]
    assert page["utc_offset_min"] == 420
    assert page["server_now_ms"] == int(now.timestamp() * 1000)
    loud_counter = page_config(cfg, site, display.model_copy(update={"volume": 0.8}), 1, now, False)
    assert loud_counter["layout"] == "counter" and loud_counter["volume"] == 0.8


def copy_cast(dest: Any, hall_extra: str = "") -> Any:
    (dest / "sites").mkdir(parents=True)
    (dest / "motcua.yaml").write_text((CAST / "motcua.yaml").read_text("utf-8"), "utf-8")
    for p in (CAST / "sites").glob("*.yaml"):
        text = p.read_text("utf-8")
        if p.name == "hall.yaml":
            text = text.replace("counters: [1, 2]}", "counters: [1, 2]}" + hall_extra)
        (dest / "sites" / p.name).write_text(text, "utf-8")
    return dest


def test_counter_layout_in_configuration(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="exactly one counter"):
        Display(id=5, name="x", counters=(1, 2), layout="counter")
    with pytest.raises(ValueError, match="bad interval"):
        Announcement(quiet_hours=("12:00-11:00",))
    extra = '\n  - {id: 7, name: "Trên quầy 2", counters: [2], layout: counter}'
    folder = copy_cast(tmp_path / "cfg", extra)
    app = make_app(tmp_path, folder)
    client = app.test_client()
    client.set_cookie(DEVICE_COOKIE, Actions(app, client).device("q2", "display", display=7))
    resp = client.get("/display/7")
    cfg = config_of(resp)
    assert (cfg["layout"], cfg["counter"], cfg["volume"]) == ("counter", 2, 0.0)
    assert "counter-layout" in resp.get_data(as_text=True)
    app.extensions["motcua"].db.dispose()
    bad = copy_cast(tmp_path / "bad")
    text = (bad / "sites" / "hall.yaml").read_text("utf-8")
    (bad / "sites" / "hall.yaml").write_text(
        text.replace("counters: [1, 2]}", "counters: [1, 2], layout: counter}"), "utf-8"
    )
    with pytest.raises(ConfigError, match=r"hall.yaml: displays\[0\].*exactly one counter"):
        load_config(bad)


def make_app(tmp_path: Any, folder: Any) -> Any:
    from kiosk import create_app
    from kiosk.dbsetup import load_config as load_rows
    from kiosk.dbsetup import upgrade

    app = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(folder),
            "database_url": f"sqlite:///{tmp_path / 'layout.sqlite3'}",
            "secret_key": "test-secret",
            "testing": True,
        }
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    load_rows(m.db, m.config)
    return app


# --- the /display socket: what test_display_socket.py does not cover ---------------------------


def test_the_device_cookie_authenticates_the_socket(app: Any, client: Any, tv: str) -> None:
    """Browsers send the enrolled device's cookie with the handshake: no token in the page."""
    client.set_cookie(DEVICE_COOKIE, tv)
    sc = sock(app, client)
    assert sc.is_connected("/display")
    assert received(sc, "state")[0]["event_id"] == 0
    sc.disconnect(namespace="/display")


def test_a_display_device_cannot_choose_another_display(
    app: Any, client: Any, actions: Actions, tv: str
) -> None:
    staff = actions.user(site=None, role="admin")
    sc = sock(app, client, {"token": tv, "display": 2})
    received(sc)
    actions.issue(staff, service="help", site="annex")
    actions.call_next(staff, counter=1, site="annex")
    assert received(sc) == []  # neither annex's calls nor its queue changes
    actions.issue(staff)
    actions.call_next(staff)
    # The issue moves the queue; the call tells the display by itself (no second `queue`).
    assert [name for name, _ in received(sc)] == ["queue", "called"]
    sc.disconnect(namespace="/display")


def test_event_ids_grow_by_one_in_order_across_every_kind_of_call(
    app: Any, client: Any, actions: Actions, tv: str
) -> None:
    staff = actions.user()
    sc = sock(app, client, {"token": tv})
    received(sc)
    tickets = [actions.issue(staff, service=s).get_json() for s in ("cert", "civil") * 4]
    expected: list[tuple[str, int, bool]] = []
    for _ in range(3):
        for counter in (1, 2):
            body = actions.call_next(staff, counter=counter).get_json()
            expected.append((body["number"], counter, False))
        actions.act(staff, body["id"], "recall")
        expected.append((body["number"], 2, True))
    waiting = tickets[-1]
    resp = actions.client.post(
        "/api/v1/counters/hall/1/call",
        json={"ticket": waiting["id"]},
        headers=actions.auth(staff),
    )
    assert resp.status_code == 200
    expected.append((waiting["number"], 1, False))
    messages = received(sc)
    calls = [body for name, body in messages if name == "called"]
    assert [c["event_id"] for c in calls] == list(range(1, len(expected) + 1))
    assert [(c["number"], c["counter"], c["recall"]) for c in calls] == expected
    queue = [body for name, body in messages if name == "queue"]
    assert queue and all(q["site"] == "hall" for q in queue)
    sc.disconnect(namespace="/display")


def test_reconnect_after_missed_calls_resyncs_without_replay(
    app: Any, client: Any, actions: Actions, tv: str
) -> None:
    staff = actions.user()
    for _ in range(4):
        actions.issue(staff)
    sc = sock(app, client, {"token": tv})
    assert received(sc, "state")[0]["event_id"] == 0
    actions.call_next(staff, counter=1)
    assert [c["event_id"] for c in received(sc, "called")] == [1]
    sc.disconnect(namespace="/display")
    # Calls made while the display is away (server restart, network cut)...
    actions.call_next(staff, counter=2)
    actions.call_next(staff, counter=1)
    sc = sock(app, client, {"token": tv})
    messages = received(sc)
    # ...reach it only as the snapshot: the board is right and nothing is announced again.
    assert [name for name, _ in messages] == ["state"]
    state = messages[0][1]
    assert state["event_id"] == 3
    assert [(n["counter"], n["number"]) for n in state["now_serving"]] == [(1, "A003"), (2, "A002")]
    assert [r["number"] for r in state["recent"]] == ["A003", "A002", "A001"]
    actions.call_next(staff, counter=2)
    assert [c["event_id"] for c in received(sc, "called")] == [4]  # continues from the snapshot
    sc.disconnect(namespace="/display")


def test_state_on_request_answers_only_the_asker(
    app: Any, client: Any, actions: Actions, tv: str
) -> None:
    one = sock(app, client, {"token": tv})
    two = sock(app, client, {"token": tv})
    received(one), received(two)
    one.emit("state", namespace="/display")
    assert [name for name, _ in received(one)] == ["state"]
    assert received(two) == []
    one.disconnect(namespace="/display")
    two.disconnect(namespace="/display")


# --- announcement audio ------------------------------------------------------------------------


def test_the_called_event_audio_is_a_sane_wav(
    app: Any, client: Any, actions: Actions, tv: str
) -> None:
    staff = actions.user()
    actions.issue(staff)
    sc = sock(app, client, {"token": tv})
    received(sc)
    actions.call_next(staff, counter=2)
    (call,) = received(sc, "called")
    sc.disconnect(namespace="/display")
    url = call["announcement"]["audio_url"]
    assert url == "/audio/call/A001/2.wav"
    with client.get(url) as resp:
        assert resp.status_code == 200 and resp.mimetype == "audio/wav"
        data = resp.data
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        seconds = w.getnframes() / w.getframerate()
    # Chime + "Xin mời công dân có số thứ tự A không không một đến quầy số hai", said twice.
    assert 6 < seconds < 30
    a = app.extensions["motcua"].config.settings.announcement
    tpl = AnnouncementTemplate(vi=a.vi, en=a.en, repeat=a.repeat, english=a.english)
    sequence = clip_sequence("A001", 2, tpl)
    assert sequence[0] == "chime" and sequence.count("vi/den_quay_so") == a.repeat
    # Cached: the same bytes again, and a recall points at the same file.
    with client.get(url) as again:
        assert again.data == data
    # The short form, for a call that waited behind others: said once.
    with client.get(url + "?short=1") as short, wave.open(io.BytesIO(short.data)) as w:
        assert short.status_code == 200
        short_s = w.getnframes() / w.getframerate()
    assert 2 < short_s < seconds * 0.7
