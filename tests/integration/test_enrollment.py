"""Browsers becoming devices: enrollment links, the legacy token link, one click for an admin,
several devices in one browser, and revocation that works at once."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from kiosk.device_cookie import COOKIE, cookie_tokens
from kiosk.domain import devices
from kiosk.models import Ticket
from tests.conftest import Actions


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


def issue_link(actions: Actions, name: str) -> str:
    m = actions.m
    with m.db.transaction() as s:
        return devices.issue_link(s, m.config, m.clock.now(), name).secret


def revoke(actions: Actions, name: str) -> None:
    m = actions.m
    with m.change() as tx:  # as the command line does: the change drops cached credentials
        tx.take(devices.revoke_device(tx.s, m.config, m.clock.now(), name))


def cookie(client: Any) -> list[str]:
    found = client.get_cookie(COOKIE)
    return cookie_tokens(found.value if found else None)


def login(client: Any, name: str, password: str = "correct-horse") -> None:
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"username": name, "password": password, "csrf_token": csrf})
    assert resp.status_code == 302


@pytest.fixture
def kiosk_token(actions: Actions) -> str:
    return actions.device("kiosk-1", "kiosk")


def test_a_link_enrolls_this_browser_once(
    app: Any, client: Any, actions: Actions, kiosk_token: str
) -> None:
    secret = issue_link(actions, "kiosk-1")
    resp = client.get(f"/enroll?code={secret}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/kiosk/hall"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "no-store"
    held = cookie(client)
    assert len(held) == 1 and held[0] not in (secret, kiosk_token)
    set_cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert client.get("/kiosk/hall").status_code == 200
    # The same browser opening it again (a kiosk PC's start page) lands on its page.
    again = client.get(f"/enroll?code={secret}")
    assert again.status_code == 302 and again.headers["Location"] == "/kiosk/hall"

    other = app.test_client()
    refused = other.get(f"/enroll?code={secret}")
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert "đã được dùng" in text and "already used" in text and "motcua device link" in text
    assert other.get_cookie(COOKIE) is None
    assert other.get("/kiosk/hall").status_code == 403


def test_a_link_expires_after_24_hours(app: Any, actions: Actions, kiosk_token: str) -> None:
    secret = issue_link(actions, "kiosk-1")
    actions.m.clock.advance(hours=24)
    resp = app.test_client().get(f"/enroll?code={secret}")
    assert resp.status_code == 403
    assert "hết hạn" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    ["code=", "code=" + "x" * 5000, "token=d_nope", "", "code=é"],
)
def test_wrong_links_are_a_friendly_403(client: Any, query: str) -> None:
    resp = client.get(f"/enroll?{query}")
    assert resp.status_code == 403
    assert "Không đăng ký được" in resp.get_data(as_text=True)


@pytest.mark.parametrize("query", ["code=%00%00", "token=%00"])
def test_a_link_with_nul_bytes_is_refused_as_bad_input(client: Any, query: str) -> None:
    """NUL bytes are refused before any view runs (hostile input), with the friendly error page."""
    resp = client.get(f"/enroll?{query}")
    assert resp.status_code == 400
    assert "Traceback" not in resp.get_data(as_text=True)


def test_the_device_token_link_still_enrolls_with_a_browser_token(
    client: Any, actions: Actions, kiosk_token: str
) -> None:
    resp = client.get(f"/enroll?token={kiosk_token}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/kiosk/hall"
    assert cookie(client) != [kiosk_token]  # the cookie never holds the device's token
    printer = actions.device("printer-1", "printer")
    refused = client.get(f"/enroll?token={printer}")
    assert refused.status_code == 403 and "Máy in" in refused.get_data(as_text=True)


def test_revoke_works_at_once_for_the_token_and_every_browser(
    app: Any, client: Any, actions: Actions, kiosk_token: str
) -> None:
    client.get(f"/enroll?code={issue_link(actions, 'kiosk-1')}")
    page = client.get("/kiosk/hall").get_data(as_text=True)
    headers = {"X-CSRF-Token": csrf_of(page)}
    body = {"site": "hall", "service": "cert"}
    assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 201
    assert actions.issue(kiosk_token).status_code == 201  # both are in the token cache now

    revoke(actions, "kiosk-1")
    assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 401
    assert actions.issue(kiosk_token).status_code == 401
    assert client.get("/kiosk/hall").status_code == 403
    # A replacement browser enrolls with a new link.
    fresh = app.test_client()
    assert fresh.get(f"/enroll?code={issue_link(actions, 'kiosk-1')}").status_code == 302
    assert fresh.get("/kiosk/hall").status_code == 200


def test_one_browser_is_a_kiosk_and_a_display_at_once(client: Any, actions: Actions) -> None:
    actions.device("kiosk-1", "kiosk")
    actions.device("display-1", "display", display=1)
    actions.device("rate-1", "counter", counter=1)
    for name in ("kiosk-1", "display-1", "rate-1"):
        assert client.get(f"/enroll?code={issue_link(actions, name)}").status_code == 302
    assert len(cookie(client)) == 3
    assert client.get("/kiosk/hall").status_code == 200
    assert client.get("/display/1").status_code == 200
    assert client.get("/rate/hall/1").status_code == 200
    assert client.get("/rate/hall/2").status_code == 403
    home = client.get("/").get_data(as_text=True)
    assert "kiosk-1" in home and "Màn hình 1" in home and "quầy 1" in home

    # Re-enrolling a device replaces its token; forgetting one keeps the others.
    client.get(f"/enroll?code={issue_link(actions, 'kiosk-1')}")
    assert len(cookie(client)) == 3
    page = client.get("/display/1").get_data(as_text=True)
    display_id = int(re.search(r'"device": (\d+)', page).group(1))  # type: ignore[union-attr]
    csrf = csrf_of(client.get("/").get_data(as_text=True))
    client.post("/enroll/forget", data={"device": display_id, "csrf_token": csrf})
    assert len(cookie(client)) == 2
    assert client.get("/display/1").status_code == 403
    assert client.get("/kiosk/hall").status_code == 200


def test_an_admin_turns_this_browser_into_a_kiosk_in_one_click(
    client: Any, actions: Actions, kiosk_token: str
) -> None:
    actions.user("boss", role="admin")
    actions.user("anna", role="staff")
    login(client, "anna")
    refusal = client.get("/kiosk/hall")
    assert refusal.status_code == 403 and "data-enroll=" not in refusal.get_data(True)
    csrf = csrf_of(refusal.get_data(as_text=True))
    denied = client.post("/enroll/here", data={"device": "kiosk-1", "csrf_token": csrf})
    assert denied.status_code == 403

    login(client, "boss")
    refusal = client.get("/kiosk/hall").get_data(as_text=True)
    assert 'data-enroll="kiosk-1"' in refusal  # the one-click button
    csrf = csrf_of(refusal)
    assert client.post("/enroll/here", data={"device": "kiosk-1"}).status_code == 400  # CSRF
    resp = client.post("/enroll/here", data={"device": "kiosk-1", "csrf_token": csrf})
    assert resp.status_code == 302 and resp.headers["Location"] == "/kiosk/hall"
    page = client.get("/kiosk/hall")
    assert page.status_code == 200  # the admin is still signed in: the kiosk page is the device
    html = page.get_data(as_text=True)
    device_id = re.search(r'<meta name="motcua-device" content="(\d+)">', html)
    assert device_id
    # The kiosk's API calls name the device, so the ticket is the kiosk's, not the admin's.
    headers = {"X-CSRF-Token": csrf_of(html), "X-Motcua-Device": device_id.group(1)}
    resp = client.post("/api/v1/tickets", json={"site": "hall", "service": "cert"}, headers=headers)
    assert resp.status_code == 201
    with actions.m.db.read() as s:
        ticket = s.get(Ticket, resp.get_json()["id"])
        assert ticket is not None
        assert ticket.kiosk_device_id == int(device_id.group(1))
        assert ticket.issued_by_user_id is None
    assert client.get("/admin").status_code == 200  # and the session still opens staff pages


def test_wrong_role_and_error_pages_are_bilingual(client: Any, actions: Actions) -> None:
    actions.user("anna", role="staff")
    login(client, "anna")
    resp = client.get("/admin")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 403
    assert "không mở được trang này" in text and "cannot open this page" in text
    missing = client.get("/no-such-page", headers={"Accept-Language": "en-US"})
    text = missing.get_data(as_text=True)
    assert missing.status_code == 404
    assert "Không tìm thấy trang" in text and "Page not found" in text
    assert "<title>404 – Không tìm thấy trang · Page not found</title>" in text


def test_revoke_closes_the_devices_open_sockets(app: Any, client: Any, actions: Actions) -> None:
    actions.device("display-1", "display", display=1)
    actions.device("kiosk-1", "kiosk")
    for name in ("kiosk-1", "display-1"):
        client.get(f"/enroll?code={issue_link(actions, name)}")
    page = client.get("/display/1").get_data(as_text=True)
    device = re.search(r'<meta name="motcua-device" content="(\d+)">', page)
    assert device  # the display page names its device; its socket does the same
    sio = app.extensions["motcua"].socketio
    sc = sio.test_client(
        app,
        namespace="/display",
        flask_test_client=client,
        query_string=f"motcua_device={device.group(1)}",
    )
    assert sc.is_connected("/display")
    assert [m["name"] for m in sc.get_received("/display")] == ["state"]
    revoke(actions, "kiosk-1")  # another device of the same browser: the display stays
    time.sleep(1.5)
    assert sc.is_connected("/display")
    revoke(actions, "display-1")
    deadline = time.monotonic() + 5
    while sc.is_connected("/display") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not sc.is_connected("/display")


def test_the_favicon_is_served(client: Any) -> None:
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301
    icon = client.get(resp.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    icon.close()
    home = client.get("/").get_data(as_text=True)
    assert 'rel="icon"' in home
