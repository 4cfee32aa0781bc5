"""/admin in the browser's place: sites, services, counters, configuration files and the
procedure catalogue, changed through forms (CSRF protected), refused changes re-shown with
the field marked, every change at once and in the audit log."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Actions
from tests.integration.conftest import PASSWORD
from tests.integration.conftest import csrf as _csrf


def test_pages_in_both_languages(admin: Any) -> None:
    for path in (
        "/admin/sites",
        "/admin/sites/hall",
        "/admin/sites/hall/services/new",
        "/admin/sites/hall/services/cert",
        "/admin/sites/hall/counters/new",
        "/admin/sites/hall/counters/1",
        "/admin/config",
        "/admin/config/motcua.yaml",
        "/admin/procedures",
    ):
        vi = admin.get(path)
        assert vi.status_code == 200, path
        assert admin.get(path + "?lang=en").status_code == 200, path
    assert "Thêm dịch vụ" in admin.get("/admin/sites/hall?lang=vi").text
    assert "Add a service" in admin.get("/admin/sites/hall?lang=en").text
    assert admin.get("/admin/sites/nowhere").status_code == 404
    assert admin.get("/admin/sites/hall/counters/77").status_code == 404


def test_add_service_and_counter_by_form(admin: Any, actions: Actions) -> None:
    form = admin.get("/admin/sites/hall/services/new")
    r = admin.post(
        "/admin/sites/hall/services/new",
        data={
            "csrf_token": _csrf(form),
            "code": "land",
            "prefix": "c",
            "name": "Đất đai",
            "name_en": "Land",
            "hours": "mon-fri: 07:30-11:30, 13:30-17:00\nsat: 07:30-11:30",
            "daily_cap": "50",
            "target_wait_min": "30",
            "enabled": "on",
        },
    )
    assert r.status_code == 302
    services = {s["code"]: s for s in admin.get("/api/v1/sites/hall/services").get_json()}
    assert services["land"]["prefix"] == "C"
    form = admin.get("/admin/sites/hall/counters/new")
    r = admin.post(
        "/admin/sites/hall/counters/new",
        data={
            "csrf_token": _csrf(form),
            "number": "3",
            "name": "Quầy 3",
            "serve_land": "on",
            "order_land": "1",
            "serve_cert": "on",
            "order_cert": "2",
            "order_civil": "3",
        },
    )
    assert r.status_code == 302
    counters = {c["number"]: c for c in admin.get("/api/v1/sites/hall/counters").get_json()}
    assert counters[3]["services"] == ["land", "cert"]
    page = admin.get("/admin/sites/hall").text
    assert "Đất đai" in page and "Quầy 3" in page
    rows = admin.get("/admin?source=audit").text
    assert "service_added" in rows or "Thêm dịch vụ" in rows


def test_refused_change_reshows_the_form_with_the_field_marked(admin: Any) -> None:
    form = admin.get("/admin/sites/hall/services/new")
    data = {
        "csrf_token": _csrf(form),
        "code": "land",
        "prefix": "A",
        "name": "Đất đai mới",
        "target_wait_min": "20",
        "enabled": "on",
    }
    r = admin.post("/admin/sites/hall/services/new", data=data)
    assert r.status_code == 422
    assert 'id="problem"' in r.text and "Đất đai mới" in r.text  # nothing typed is lost
    assert re.search(r'form-row invalid">\s*<span class="form-label">[^<]*\(A', r.text)
    data.update(prefix="C", hours="someday: 07:00-08:00")
    r = admin.post("/admin/sites/hall/services/new", data=data)
    assert r.status_code == 422 and "someday" in r.text
    data.update(hours="", daily_cap="-3")
    r = admin.post("/admin/sites/hall/services/new", data=data)
    assert r.status_code == 422
    assert "land" not in [s["code"] for s in admin.get("/api/v1/sites/hall/services").get_json()]
    # A counter must serve something.
    form = admin.get("/admin/sites/hall/counters/1")
    r = admin.post("/admin/sites/hall/counters/1", data={"csrf_token": _csrf(form), "name": "Q1"})
    assert r.status_code == 422 and 'id="problem"' in r.text


def test_forms_need_the_csrf_token(admin: Any) -> None:
    r = admin.post(
        "/admin/sites/hall/services/new",
        data={"code": "land", "prefix": "C", "name": "x", "target_wait_min": "20"},
    )
    assert r.status_code == 400
    r = admin.post("/admin/config/motcua.yaml", data={"body": "x: 1"})
    assert r.status_code == 400


def test_document_editor_validates_and_keeps_the_text(admin: Any) -> None:
    page = admin.get("/admin/config/motcua.yaml")
    body = re.search(r"<textarea[^>]*>(.*?)</textarea>", page.text, re.S).group(1)
    import html

    body = html.unescape(body)
    broken = body.replace("rating:", "rating:\n  negative_below: [", 1)
    r = admin.post("/admin/config/motcua.yaml", data={"csrf_token": _csrf(page), "body": broken})
    assert r.status_code == 422 and "motcua.yaml" in r.text
    assert "negative_below: [" in html.unescape(r.text)
    changed = (
        body.replace("return_home_s: 20", "return_home_s: 25")
        if "return_home_s: 20" in body
        else body + "\n"
    )
    r = admin.post("/admin/config/motcua.yaml", data={"csrf_token": _csrf(page), "body": changed})
    assert r.status_code == 302


def test_only_admins_and_not_other_roles(client: Any, actions: Actions) -> None:
    actions.user("sup", "supervisor", password=PASSWORD)
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "sup", "password": PASSWORD, "csrf_token": token})
    assert client.get("/admin/sites").status_code == 403
    assert client.get("/admin/config/motcua.yaml").status_code == 403


def test_users_and_devices_from_the_browser(admin: Any, client: Any) -> None:
    page = admin.get("/admin/users")
    token = _csrf(page)
    r = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "anna",
            "role": "staff",
            "site": "hall",
            "password": "abc",
        },
    )
    assert r.status_code == 302 and "problem=" in r.location  # too short: said, nothing added
    r = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "anna",
            "role": "staff",
            "site": "hall",
            "password": "long-enough-1",
        },
    )
    assert r.status_code == 302 and "saved=anna" in r.location
    r = admin.post("/admin/users/anna/role", data={"csrf_token": token, "role": "supervisor"})
    assert r.status_code == 302
    users = admin.get("/admin/users?lang=en").text
    assert re.search(r'data-user="anna".*?value="supervisor" selected', users, re.S)

    page = admin.get("/admin/devices")
    r = admin.post(
        "/admin/devices",
        data={"csrf_token": token, "name": "kiosk-9", "kind": "kiosk", "site": "hall"},
    )
    assert r.status_code == 200
    link = re.search(r"(http://[^<\s]+/enroll\?code=e_[\w-]+)", r.text).group(1)
    r = admin.post(
        "/admin/devices/kiosk-9/rename", data={"csrf_token": token, "new_name": "kiosk-door"}
    )
    assert r.status_code == 302 and "saved=kiosk-door" in r.location
    device = client.application.test_client()
    assert link.startswith("http://motcua.test/")  # the public URL
    r = device.get(link.removeprefix("http://motcua.test"))
    assert r.status_code in (302, 303)  # enrolled: off to the kiosk page
    assert device.get("/kiosk/hall").status_code == 200
    assert device.get(link.removeprefix("http://motcua.test")).status_code == 302  # used up
    r = admin.post("/admin/devices/kiosk-door/revoke", data={"csrf_token": token})
    assert r.status_code == 302
    assert device.get("/api/v1/tickets/1").status_code in (401, 403)
    rows = admin.get("/api/v1/audit?limit=50").get_json()
    seen = {row["action"] for row in rows}
    assert {
        "user_added",
        "user_role_changed",
        "device_added",
        "device_renamed",
        "device_revoked",
    } <= seen
