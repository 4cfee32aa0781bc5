"""Security of the staff surfaces: CSRF, who sees what, login throttling, disabling a user, the
audit trail of every action, escaping, redirects and cookies."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Actions
from tests.integration.test_console import PASSWORD, login


@pytest.fixture
def kiosk(actions: Actions) -> str:
    return actions.device("kiosk-1", "kiosk")


def csrf_of(client: Any) -> str:
    with client.session_transaction() as sess:
        return str(sess.get("csrf", ""))


def test_csrf_is_required_for_forms_and_fetch(client: Any, actions: Actions, kiosk: str) -> None:
    actions.user("anna", "staff", site="hall")
    # The login form itself.
    client.get("/login")
    no_token = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert no_token.status_code == 400
    bad_token = client.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert bad_token.status_code == 400
    csrf = login(client, "anna")
    # Page forms.
    assert client.post("/counter/choose", data={"counter": "hall:1"}).status_code == 400
    assert client.post("/logout").status_code == 400
    # fetch() from the console: the session cookie alone is not enough.
    actions.issue(kiosk)
    assert client.post("/api/v1/counters/hall/1/call-next").status_code == 400
    assert (
        client.post(
            "/api/v1/counters/hall/1/pause", json={"reason": "x"}, headers={"X-CSRF-Token": "no"}
        ).status_code
        == 400
    )
    ok = client.post("/api/v1/counters/hall/1/call-next", headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    # The rating tablet (device cookie) needs the token too.
    tablet = client.application.test_client()
    tablet.get(f"/enroll?token={actions.device('tab-1', 'counter', counter=1)}")
    actions.act(actions.user("ben", "staff"), ok.get_json()["id"], "done")
    url = f"/api/v1/tickets/{ok.get_json()['id']}/rating"
    assert tablet.post(url, json={"score": 4}).status_code == 400
    tablet.get("/rate/hall/1")  # the page gives its session a token
    rated = tablet.post(url, json={"score": 4}, headers={"X-CSRF-Token": csrf_of(tablet)})
    assert rated.status_code == 201


PAGES = ["/counter", "/counter/overview", "/reports", "/reports/export", "/admin"]
PAGES += ["/admin/users", "/admin/devices", "/admin/audit.csv"]


def test_anonymous_and_devices_are_sent_to_login(client: Any, actions: Actions) -> None:
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 302, path
        assert resp.headers["Location"] == f"/login?next={path}"
    assert client.get("/reports?day=2026-11-25").headers["Location"] == (
        "/login?next=/reports%3Fday%3D2026-11-25"
    )
    # An enrolled device is not a person: still the login page.
    client.get(f"/enroll?token={actions.device('tab', 'counter', counter=1)}")
    assert client.get("/counter").status_code == 302
    assert client.get("/api/v1/sites/hall/overview").status_code == 403
    assert client.get("/api/v1/counters/hall/1/board").status_code == 403


@pytest.mark.parametrize(
    ("role", "site", "allowed"),
    [
        ("staff", "hall", {"/counter"}),
        (
            "supervisor",
            "hall",
            {"/counter", "/counter/overview", "/reports", "/reports/export"},
        ),
        ("admin", None, set(PAGES)),
    ],
)
def test_each_role_sees_only_its_pages(
    client: Any, actions: Actions, role: str, site: str | None, allowed: set[str]
) -> None:
    actions.user("who", role, site=site)
    login(client, "who")
    for path in PAGES:
        status = client.get(path).status_code
        assert status == (200 if path in allowed else 403), (path, status)


def test_each_role_reaches_only_its_api(client: Any, actions: Actions, kiosk: str) -> None:
    staff = actions.user("anna", "staff", site="hall")
    annex = actions.user("ann", "staff", site="annex")
    boss = actions.user("boss", "supervisor", site="hall")
    annex_boss = actions.user("aboss", "supervisor", site="annex")
    t = actions.issue(kiosk, service="civil").get_json()  # stays waiting: calls take cert first
    actions.issue(kiosk)

    def status(token: str | None, method: str, path: str, body: Any = None) -> int:
        headers = actions.auth(token) if token else {}
        return int(client.open(path, method=method, json=body, headers=headers).status_code)

    calls = {
        "services": ("POST", "/api/v1/counters/hall/1/services", {"services": ["civil"]}),
        "priority": (
            "POST",
            f"/api/v1/tickets/{t['id']}/priority",
            {"group": "elderly", "reason": "x"},
        ),
        "overview": ("GET", "/api/v1/sites/hall/overview", None),
        "board": ("GET", "/api/v1/counters/hall/1/board", None),
        "call": ("POST", "/api/v1/counters/hall/1/call-next", None),
        "rating": ("GET", "/api/v1/counters/hall/1/rating-request", None),
    }
    everything = dict.fromkeys(calls, 403)
    for token, expected in [
        (None, dict.fromkeys(calls, 401)),
        (kiosk, everything),
        (annex, everything),
        (staff, {**everything, "board": 200, "call": 200}),
        (annex_boss, everything),
        (boss, {"services": 200, "priority": 200, "overview": 200, "board": 200, "rating": 403}),
    ]:
        for name, want in expected.items():
            method, path, body = calls[name]
            assert status(token, method, path, body) == want, (token, name)


def test_login_is_throttled_with_429_and_audited(client: Any, actions: Actions, app: Any) -> None:
    actions.user("anna", "staff", site="hall")
    client.get("/login")
    for _ in range(10):
        r = client.post(
            "/login",
            data={"username": "anna", "password": "wrong", "csrf_token": csrf_of(client)},
        )
        assert r.status_code == 401 and "Sai tên đăng nhập" in r.text
    r = client.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf_token": csrf_of(client)}
    )
    assert r.status_code == 429 and "15 phút" in r.text
    rows = audit_actions(app)
    assert rows.count("login_failed") == 10 and rows.count("login_throttled") == 1
    assert "login" not in rows


def test_token_endpoint_attempts_are_audited_too(client: Any, actions: Actions, app: Any) -> None:
    actions.user("anna", "staff", site="hall")
    bad = client.post("/api/v1/auth/token", json={"username": "anna", "password": "nope"})
    assert bad.status_code == 401
    ok = client.post("/api/v1/auth/token", json={"username": "anna", "password": PASSWORD})
    assert ok.status_code == 200
    from kiosk.domain import auditlog

    m = app.extensions["motcua"]
    with m.db.read() as s:
        rows = auditlog.read_log(s, m.clock, auditlog.Filters(source="audit"))
    assert [(r.action, r.user, r.details) for r in rows] == [
        ("login", "anna", {"via": "token"}),
        ("login_failed", None, {"username": "anna", "via": "token"}),
    ]


def test_disabled_user_is_out_at_once(client: Any, actions: Actions, app: Any) -> None:
    actions.user("anna", "staff", site="hall")
    actions.user("root", "admin")
    login(client, "anna")
    assert client.get("/counter").status_code == 200
    admin = app.test_client()
    admin_csrf = login(admin, "root")
    users = admin.get("/admin/users").text
    assert 'action="/admin/users/anna/disable"' in users
    assert 'action="/admin/users/root/disable"' not in users  # not oneself
    assert admin.post("/admin/users/anna/disable").status_code == 400  # CSRF
    r = admin.post("/admin/users/anna/disable", data={"csrf_token": admin_csrf})
    assert r.status_code == 302
    # The staff session is refused on the very next request, page or API.
    assert client.get("/counter").status_code == 302
    assert client.get("/api/v1/counters/hall/1/board").status_code == 401
    client.get("/login")
    relog = client.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf_token": csrf_of(client)}
    )
    assert relog.status_code == 401
    assert "user_disabled" in audit_actions(app)
    r = admin.post("/admin/users/root/disable", data={"csrf_token": admin_csrf})
    assert r.status_code == 422


def audit_actions(app: Any, **filters: Any) -> list[str]:
    from kiosk.domain import auditlog

    m = app.extensions["motcua"]
    with m.db.read() as s:
        return [r.action for r in auditlog.read_log(s, m.clock, auditlog.Filters(**filters))]


def test_every_action_leaves_an_audit_row(
    client: Any, actions: Actions, app: Any, kiosk: str
) -> None:
    from kiosk.domain import auditlog

    actions.user("anna", "staff", site="hall")
    actions.user("boss", "supervisor", site="hall")
    csrf = login(client, "anna")
    h = {"X-CSRF-Token": csrf}
    c = client
    t = [actions.issue(kiosk).get_json()["id"] for _ in range(4)]
    c.post("/api/v1/counters/hall/1/call-next", headers=h)
    for action in ("recall", "start", "hold"):
        assert c.post(f"/api/v1/tickets/{t[0]}/{action}", headers=h).status_code == 200
    c.post(f"/api/v1/tickets/{t[0]}/resume", json={"counter": 1}, headers=h)
    c.post(f"/api/v1/tickets/{t[0]}/done", headers=h)
    c.post("/api/v1/counters/hall/1/call", json={"ticket": t[2]}, headers=h)
    c.post(f"/api/v1/tickets/{t[2]}/no-show", headers=h)
    c.post(f"/api/v1/tickets/{t[2]}/requeue", headers=h)
    c.post("/api/v1/counters/hall/1/call-next", headers=h)
    c.post(f"/api/v1/tickets/{t[1]}/transfer", json={"service": "civil"}, headers=h)
    c.post(f"/api/v1/tickets/{t[3]}/cancel", headers=h)
    c.post("/api/v1/counters/hall/1/pause", json={"reason": "Họp"}, headers=h)
    c.post("/api/v1/counters/hall/1/pause", json={"reason": None}, headers=h)
    tablet = app.test_client()
    tablet.get(f"/enroll?token={actions.device('tab-1', 'counter', counter=1)}")
    tablet.get("/rate/hall/1")
    tablet.post(
        f"/api/v1/tickets/{t[0]}/rating",
        json={"score": 3},
        headers={"X-CSRF-Token": csrf_of(tablet)},
    )
    c.post("/logout", data={"csrf_token": csrf})
    boss_csrf = login(c, "boss")
    bh = {"X-CSRF-Token": boss_csrf}
    c.post("/api/v1/counters/hall/2/services", json={"services": ["civil"]}, headers=bh)
    c.post(f"/api/v1/tickets/{t[2]}/priority", json={"group": "elderly", "reason": "x"}, headers=bh)

    m = app.extensions["motcua"]
    with m.db.read() as s:
        rows = auditlog.read_log(s, m.clock, auditlog.Filters())
    seen = {r.action for r in rows}
    assert {
        "issued",
        "called",
        "recalled",
        "started",
        "held",
        "resumed",
        "done",
        "called_out_of_order",
        "no_show",
        "requeued",
        "transferred",
        "cancelled",
        "counter_paused",
        "counter_resumed",
        "device_enrolled",
        "rated",
        "login",
        "logout",
        "counter_services_changed",
        "priority_granted",
    } <= seen, seen
    # Every row says who (a user or a device) and, for people and devices here, from where.
    for r in rows:
        assert r.user or r.device, r
        assert r.address == "127.0.0.1", r
    by_device = {r.action for r in rows if r.device == "tab-1"}
    assert by_device == {"device_enrolled", "rated"}
    assert {r.action for r in rows if r.device == "kiosk-1"} == {"issued"}


def test_html_in_notes_and_names_is_escaped(
    client: Any, actions: Actions, app: Any, kiosk: str
) -> None:
    script = "<script>alert(1)</script>"
    staff = actions.user("anna", "staff", site="hall")
    t = actions.issue(kiosk).get_json()
    actions.call_next(staff)
    actions.act(staff, t["id"], "transfer", {"service": "civil", "note": script})
    actions.client.post(
        "/api/v1/counters/hall/2/pause",
        json={"reason": '<img src=x onerror="alert(2)">'},
        headers=actions.auth(staff),
    )
    actions.user("root", "admin")
    login(client, "root")
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    client.get("/login")
    client.post(  # a failed login with HTML as the username lands in the audit log
        "/login", data={"username": "<b>bold</b>", "password": "x", "csrf_token": csrf_of(client)}
    )
    login(client, "root")
    audit = client.get("/admin").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in audit
    assert "&lt;img src=x" in audit
    assert "bold" not in audit and "unknown_user" in audit
    for page in ("/admin", "/counter/overview", "/reports", "/counter", "/admin/users"):
        text = client.get(page).text
        assert script not in text and "<img src=x" not in text and "<b>bold" not in text, page
    # The JSON the console renders carries the text as is (the page sets it as text, never HTML).
    board = actions.client.get(
        "/api/v1/counters/hall/2/board", headers=actions.auth(staff)
    ).get_json()
    assert board["transferred"][0]["note"] == script
    assert board["pause_reason"] == '<img src=x onerror="alert(2)">'
    # Scripts may only come from our own files.
    csp = client.get("/counter").headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )


def test_login_never_redirects_off_site(client: Any, actions: Actions) -> None:
    actions.user("anna", "staff", site="hall")
    actions.user("root", "admin")
    for target, landing in [
        ("//evil.example/x", "/counter"),
        ("https://evil.example/", "/counter"),
        ("/reports", "/reports"),
    ]:
        client.get("/login")
        r = client.post(
            f"/login?next={target}",
            data={"username": "anna", "password": PASSWORD, "csrf_token": csrf_of(client)},
        )
        assert r.headers["Location"] == landing, target
    client.get("/login")
    r = client.post(
        "/login", data={"username": "root", "password": PASSWORD, "csrf_token": csrf_of(client)}
    )
    assert r.headers["Location"] == "/admin"


def test_session_cookie_is_httponly_samesite_and_renewed_on_login(
    client: Any, actions: Actions
) -> None:
    actions.user("anna", "staff", site="hall")
    client.get("/login")
    before = csrf_of(client)
    r = client.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": before})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert csrf_of(client) != before  # a fresh session: no fixation
    page = client.get("/counter")
    assert re.search(r'name="csrf-token" content="[^"]+"', page.text)
