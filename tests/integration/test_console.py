"""Counter console, supervisor view, rating tablet and reports: the API behind the pages, the
pages themselves, and the /live push the console listens to."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Actions

PASSWORD = "correct-horse"


def login(client: Any, name: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the new session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    resp = client.post("/login", data={"username": name, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.text
    with client.session_transaction() as sess:
        return str(sess["csrf"])


@pytest.fixture
def kiosk(actions: Actions) -> str:
    return actions.device("kiosk-1", "kiosk")


@pytest.fixture
def staff(actions: Actions) -> str:
    return actions.user("anna", "staff", site="hall")


@pytest.fixture
def boss(actions: Actions) -> str:
    return actions.user("boss", "supervisor", site="hall")


def get(actions: Actions, token: str, path: str) -> Any:
    return actions.client.get(path, headers=actions.auth(token))


def post(actions: Actions, token: str, path: str, body: Any = None) -> Any:
    return actions.client.post(path, json=body, headers=actions.auth(token))


def board(actions: Actions, token: str, counter: int = 1) -> dict[str, Any]:
    resp = get(actions, token, f"/api/v1/counters/hall/{counter}/board")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def numbers(rows: list[dict[str, Any]]) -> list[str]:
    return [r["number"] for r in rows]


def test_board_shows_current_waiting_held_and_transferred(
    actions: Actions, kiosk: str, staff: str, clock: Any
) -> None:
    a1 = actions.issue(kiosk).get_json()
    actions.issue(kiosk, priority="elderly")
    actions.issue(kiosk, service="civil")
    clock.advance(minutes=5)
    assert actions.call_next(staff).get_json()["id"] == a1["id"]

    b = board(actions, staff)
    assert (b["counter"], b["counter_name"], b["status"]) == (1, "Quầy 1", "serving")
    assert [s["code"] for s in b["services"]] == ["cert", "civil"] and not b["overridden"]
    assert b["current"]["number"] == "A001" and b["current"]["status"] == "called"
    assert b["current"]["called_at"].endswith("+07:00") and b["officer"] == "anna"
    cert, civil = b["queues"]
    assert numbers(cert["tickets"]) == ["A002"] and cert["count"] == 1
    assert cert["tickets"][0]["priority_name"] == "Người cao tuổi"
    assert cert["tickets"][0]["waited_s"] == 300
    assert numbers(civil["tickets"]) == ["B001"]
    assert b["no_show_after_recalls"] == 3

    # Hold: the ticket leaves the counter for the held list.
    assert actions.act(staff, a1["id"], "hold").status_code == 200
    b = board(actions, staff)
    assert b["current"] is None and numbers(b["held"]) == ["A001"]

    # Counter 2 calls B001 and transfers it to cert with a note: counter 1 sees it come in.
    b001 = actions.call_next(staff, counter=2).get_json()
    assert b001["number"] == "B001"
    moved = actions.act(staff, b001["id"], "transfer", {"service": "cert", "note": "3 bản sao"})
    assert moved.status_code == 200
    b = board(actions, staff)
    assert numbers(b["transferred"]) == ["B001"]
    t = b["transferred"][0]
    assert (t["note"], t["transferred_from"], t["transferred_by"]) == ("3 bản sao", "civil", 2)
    assert t["transferred_from_name"] == "Hộ tịch"
    assert "B001" in numbers(b["queues"][0]["tickets"])

    # Resume the held ticket here; then it is current again.
    r = post(actions, staff, f"/api/v1/tickets/{a1['id']}/resume", {"counter": 1})
    assert r.status_code == 200
    b = board(actions, staff)
    assert b["current"]["number"] == "A001" and b["held"] == []


def test_board_is_for_staff_of_the_site(actions: Actions, staff: str, kiosk: str) -> None:
    annex = actions.user("ann", "staff", site="annex")
    assert get(actions, annex, "/api/v1/counters/hall/1/board").status_code == 403
    assert get(actions, kiosk, "/api/v1/counters/hall/1/board").status_code == 403
    assert actions.client.get("/api/v1/counters/hall/1/board").status_code == 401
    assert get(actions, staff, "/api/v1/counters/hall/9/board").status_code == 404


def test_find_a_ticket_by_number_to_call_it(actions: Actions, kiosk: str, staff: str) -> None:
    actions.issue(kiosk)
    a2 = actions.issue(kiosk).get_json()
    found = get(actions, staff, "/api/v1/sites/hall/tickets/a002")
    assert found.status_code == 200 and found.get_json()["id"] == a2["id"]
    assert get(actions, staff, "/api/v1/sites/hall/tickets/Z999").status_code == 404
    annex = actions.user("ann", "staff", site="annex")
    assert get(actions, annex, "/api/v1/sites/hall/tickets/A002").status_code == 403
    called = post(actions, staff, "/api/v1/counters/hall/2/call", {"ticket": a2["id"]})
    assert called.get_json()["counter"] == 2


def test_overview_shows_counters_waits_targets_and_no_shows(
    actions: Actions, kiosk: str, staff: str, boss: str, clock: Any
) -> None:
    a1 = actions.issue(kiosk).get_json()
    actions.issue(kiosk)
    actions.issue(kiosk, service="civil")
    clock.advance(minutes=25)  # past the 20-minute default target
    actions.call_next(staff)
    post(actions, staff, "/api/v1/counters/hall/2/pause", {"reason": "Họp"})

    o = get(actions, boss, "/api/v1/sites/hall/overview").get_json()
    c1, c2 = o["counters"]
    assert (c1["status"], c1["ticket"]["number"], c1["officer"]) == ("serving", "A001", "anna")
    assert c1["since"] == "2026-11-25T09:25:00+07:00"
    assert (c2["status"], c2["pause_reason"], c2["ticket"]) == ("paused", "Họp", None)
    cert = o["services"][0]
    assert (cert["waiting"], cert["longest_wait_s"], cert["over_target"]) == (1, 1500, 1)
    assert cert["target_wait_min"] == 20 and cert["counters"] == [1, 2]
    assert [t["number"] for t in o["waiting"]] == ["A002", "B001"]
    assert all(t["over_target"] for t in o["waiting"])

    actions.act(staff, a1["id"], "no-show")
    o = get(actions, boss, "/api/v1/sites/hall/overview").get_json()
    assert o["no_shows"] == 1 and o["services"][0]["no_shows"] == 1
    assert o["counters"][0]["status"] == "idle"


def test_overview_is_for_supervisors_of_the_site(actions: Actions, staff: str, boss: str) -> None:
    admin = actions.user("root", "admin")
    annex_boss = actions.user("aboss", "supervisor", site="annex")
    assert get(actions, boss, "/api/v1/sites/hall/overview").status_code == 200
    assert get(actions, admin, "/api/v1/sites/annex/overview").status_code == 200
    assert get(actions, staff, "/api/v1/sites/hall/overview").status_code == 403
    assert get(actions, annex_boss, "/api/v1/sites/hall/overview").status_code == 403
    assert get(actions, boss, "/api/v1/sites/nowhere/overview").status_code == 403


def test_counter_services_for_the_rest_of_the_day(
    actions: Actions, app: Any, kiosk: str, staff: str, boss: str, clock: Any
) -> None:
    actions.issue(kiosk)
    actions.issue(kiosk, service="civil")
    url = "/api/v1/counters/hall/1/services"
    assert post(actions, staff, url, {"services": ["civil"]}).status_code == 403
    for bad in ({"services": []}, {"services": ["nope"]}, {"services": ["civil", "civil"]}, {}):
        assert post(actions, boss, url, bad).status_code == 422, bad
    r = post(actions, boss, url, {"services": ["civil"]})
    assert r.get_json() == {"number": 1, "services": ["civil"], "overridden": True}
    b = board(actions, staff)
    assert [s["code"] for s in b["services"]] == ["civil"] and b["overridden"]
    assert actions.call_next(staff).get_json()["number"] == "B001"  # A001 is older

    from kiosk.domain import auditlog

    m = app.extensions["motcua"]
    with m.db.read() as s:
        rows = auditlog.read_log(s, m.clock, auditlog.Filters(action="counter_services_changed"))
    assert len(rows) == 1 and rows[0].user == "boss" and rows[0].counter == 1
    assert rows[0].details["before"] == ["cert", "civil"] and rows[0].details["after"] == ["civil"]

    clock.advance(days=1)  # the override lives one day
    assert [s["code"] for s in board(actions, staff)["services"]] == ["cert", "civil"]
    post(actions, boss, url, {"services": ["civil"]})
    r = post(actions, boss, url, {"services": None})
    assert r.get_json() == {"number": 1, "services": ["cert", "civil"], "overridden": False}


def test_grant_priority_with_a_reason(
    actions: Actions, app: Any, kiosk: str, staff: str, boss: str
) -> None:
    a1 = actions.issue(kiosk).get_json()
    a2 = actions.issue(kiosk).get_json()
    url = f"/api/v1/tickets/{a2['id']}/priority"
    assert (
        post(actions, staff, url, {"group": "elderly", "reason": "chống nạng"}).status_code == 403
    )
    assert post(actions, boss, url, {"group": "elderly"}).status_code == 422
    assert post(actions, boss, url, {"group": "elderly", "reason": "   "}).status_code == 422
    assert post(actions, boss, url, {"group": "nobody", "reason": "x"}).status_code == 422
    r = post(actions, boss, url, {"group": "elderly", "reason": "chống nạng"})
    assert r.status_code == 200 and r.get_json()["priority"] == "elderly"
    assert r.get_json()["ahead"] == 0  # now ahead of A001
    assert post(actions, boss, url, {"group": "elderly", "reason": "again"}).status_code == 409
    assert numbers(board(actions, staff)["queues"][0]["tickets"]) == ["A002", "A001"]

    from kiosk.domain import auditlog

    m = app.extensions["motcua"]
    with m.db.read() as s:
        rows = auditlog.read_log(s, m.clock, auditlog.Filters(action="priority_granted"))
    sources = {r.source: r for r in rows}
    assert set(sources) == {"audit", "ticket"}
    assert sources["audit"].details["reason"] == "chống nạng"
    assert sources["audit"].details["group"] == "elderly" and sources["audit"].user == "boss"
    assert sources["audit"].details["policy"] == "interleave"

    # A ticket no longer waiting cannot be moved ahead.
    actions.call_next(staff)
    actions.call_next(staff, counter=2)
    r = post(
        actions, boss, f"/api/v1/tickets/{a1['id']}/priority", {"group": "elderly", "reason": "x"}
    )
    assert r.status_code == 409


def test_staff_confirm_the_priority_asked_for_at_the_kiosk(
    actions: Actions, app: Any, kiosk: str, staff: str
) -> None:
    from kiosk.models import Ticket

    t = actions.issue(kiosk).get_json()
    m = app.extensions["motcua"]
    with m.db.transaction() as s:
        s.get(Ticket, t["id"]).priority_requested = "disability"
    url = f"/api/v1/tickets/{t['id']}/priority"
    assert post(actions, staff, url, {"group": "elderly", "reason": "x"}).status_code == 403
    r = post(actions, staff, url, {"group": "disability", "reason": "xác nhận tại quầy"})
    assert r.status_code == 200 and r.get_json()["priority"] == "disability"


def test_rating_tablet_learns_the_ticket_just_done(
    actions: Actions, kiosk: str, staff: str, clock: Any
) -> None:
    mine = actions.device("tab-1", "counter", counter=1)
    other = actions.device("tab-2", "counter", counter=2)
    url = "/api/v1/counters/hall/1/rating-request"
    assert get(actions, mine, url).status_code == 204
    t = actions.issue(kiosk).get_json()
    actions.call_next(staff)
    assert get(actions, mine, url).status_code == 204  # called, not done
    clock.advance(minutes=4)
    actions.act(staff, t["id"], "done")
    r = get(actions, mine, url)
    assert r.status_code == 200
    body = r.get_json()
    assert (body["ticket"], body["number"], body["service_name"]) == (t["id"], "A001", "Chứng thực")
    assert [s["score"] for s in body["scale"]] == [4, 3, 2, 1]
    assert body["scale"][0]["label"] == "Rất hài lòng" and body["show_seconds"] == 30
    assert body["negative_below"] == 3 and body["reasons"][0]["code"] == "long_wait"
    assert get(actions, other, url).status_code == 403
    assert get(actions, staff, url).status_code == 403
    assert get(actions, kiosk, url).status_code == 403
    clock.advance(seconds=31)
    assert get(actions, mine, url).status_code == 204  # too late to ask
    clock.advance(seconds=-31)
    rated = post(actions, mine, f"/api/v1/tickets/{t['id']}/rating", {"score": 4})
    assert rated.status_code == 201
    assert get(actions, mine, url).status_code == 204  # asked once


def test_call_next_closing_a_ticket_also_asks_for_a_rating(
    actions: Actions, kiosk: str, staff: str
) -> None:
    mine = actions.device("tab-1", "counter", counter=1)
    t = actions.issue(kiosk).get_json()
    actions.issue(kiosk)
    actions.call_next(staff)
    actions.call_next(staff)  # closes A001 as done
    body = get(actions, mine, "/api/v1/counters/hall/1/rating-request").get_json()
    assert body["ticket"] == t["id"]


def test_live_pushes_each_change_to_the_site_room(
    app: Any, client: Any, actions: Actions, kiosk: str
) -> None:
    actions.user("anna", "staff", site="hall")
    login(client, "anna")
    sio = app.extensions["motcua"].socketio
    sc = sio.test_client(app, namespace="/live", flask_test_client=client, auth={"site": "hall"})
    assert sc.is_connected("/live")
    annex = actions.device("k-annex", "kiosk", site="annex")
    t = actions.issue(kiosk).get_json()
    actions.issue(annex, service="help", site="annex")
    staff = actions.user("ben", "staff")
    actions.call_next(staff)
    actions.act(staff, t["id"], "done")
    events = [m["args"][0] for m in sc.get_received("/live") if m["name"] == "queue"]
    assert all(e["site"] == "hall" for e in events)
    kinds = [(e["kind"], e.get("ticket_id"), e.get("counter"), e.get("status")) for e in events]
    assert kinds == [
        ("TicketIssued", t["id"], None, None),
        ("TicketCalled", t["id"], 1, None),
        ("TicketChanged", t["id"], 1, "done"),
        ("CounterChanged", None, 1, "idle"),
    ]
    sc.disconnect(namespace="/live")


def test_console_picks_confirms_and_remembers_the_counter(client: Any, actions: Actions) -> None:
    actions.user("anna", "staff", site="hall")
    csrf = login(client, "anna")
    page = client.get("/counter")
    assert page.status_code == 200 and 'value="hall:2"' in page.text
    assert "annex" not in page.text  # staff of hall see hall's counters only
    chosen = client.post("/counter/choose", data={"counter": "hall:2", "csrf_token": csrf})
    assert chosen.status_code == 302
    assert "motcua_counter=hall:2" in chosen.headers["Set-Cookie"]
    console = client.get("/counter")
    assert '"counter": 2' in console.text and "counter/console.js" in console.text
    assert (
        client.post("/counter/choose", data={"counter": "annex:1", "csrf_token": csrf}).status_code
        == 400
    )
    # Next sign-in: the picker offers the remembered counter first (confirm with one press).
    client.post("/logout", data={"csrf_token": csrf})
    login(client, "anna")
    page = client.get("/counter")
    assert "resume-card" in page.text and "Tiếp tục tại" in page.text
    assert client.get("/counter?pick=1").status_code == 200


def test_rate_page_only_on_the_enrolled_tablet(client: Any, actions: Actions) -> None:
    token = actions.device("tab-1", "counter", counter=1)
    assert client.get("/rate/hall/1").status_code == 403
    client.get(f"/enroll?token={token}")
    page = client.get("/rate/hall/1")
    assert (
        page.status_code == 200 and "Rất hài lòng" in page.text and "Thời gian chờ lâu" in page.text
    )
    assert client.get("/rate/hall/2").status_code == 403
    assert client.get("/rate/hall/9").status_code == 404


def test_reports_for_supervisors(
    client: Any, actions: Actions, kiosk: str, staff: str, clock: Any
) -> None:
    tab = actions.device("tab-1", "counter", counter=1)
    a1 = actions.issue(kiosk).get_json()
    a2 = actions.issue(kiosk).get_json()
    actions.issue(kiosk, service="civil")
    clock.advance(minutes=10)
    actions.call_next(staff)
    actions.act(staff, a1["id"], "start")
    clock.advance(minutes=6)
    actions.act(staff, a1["id"], "done")
    post(actions, tab, f"/api/v1/tickets/{a1['id']}/rating", {"score": 2, "reasons": ["long_wait"]})
    actions.call_next(staff)
    actions.act(staff, a2["id"], "no-show")

    actions.user("boss", "supervisor", site="hall")
    login(client, "boss")
    page = client.get("/reports?period=day")
    assert page.status_code == 200
    text = page.text
    assert "Theo cán bộ" in text and "anna" in text and "09:00–09:59" in text
    # One day: 3 issued, 1 served, 1 no-show; per counter and per officer agree.
    csv_text = client.get("/reports/export?period=day&table=counter&format=csv").get_data(
        as_text=True
    )
    lines = csv_text.lstrip("\ufeff").strip().splitlines()
    assert lines[-1].split(",")[:4] == ["Tổng", "3", "1", "1"]
    officer = client.get("/reports/export?period=day&table=officer&format=csv").text
    assert officer.strip().splitlines()[-1] == lines[-1]
    assert lines[1].split(",")[:4] == ["Quầy 1", "2", "1", "1"]
    assert (
        "Thời gian chờ lâu,1"
        in client.get("/reports/export?period=day&table=reasons&format=csv").text
    )


def test_admin_reads_the_audit_log_with_filters_and_csv(
    client: Any, actions: Actions, kiosk: str, staff: str
) -> None:
    a1 = actions.issue(kiosk).get_json()
    actions.issue(kiosk)
    actions.call_next(staff)
    actions.act(staff, a1["id"], "done")
    post(actions, staff, "/api/v1/counters/hall/1/pause", {"reason": "Nghỉ giải lao"})
    actions.user("root", "admin")
    login(client, "root")

    def shown(query: str) -> list[str]:
        page = client.get(f"/admin{query}")
        assert page.status_code == 200
        return re.findall(r'<tr data-action="(\w+)"', page.text)

    assert shown("") == ["login", "counter_paused", "done", "called", "issued", "issued"]
    assert shown("?action=issued") == ["issued", "issued"]
    assert shown("?source=audit") == ["login", "counter_paused"]
    assert shown("?ticket=a001") == ["done", "called", "issued"]
    assert shown("?user=anna") == ["counter_paused", "done", "called"]
    assert shown("?site=annex") == []
    assert shown("?day=2026-11-24") == [] and len(shown("?day=2026-11-25")) == 6
    assert len(shown("?before=nonsense&day=x")) == 6  # bad filters are ignored
    page = client.get("/admin?action=counter_paused").text
    assert "Tạm dừng quầy" in page and "Nghỉ giải lao" in page and "127.0.0.1" in page
    csv_text = client.get("/admin/audit.csv?source=ticket").get_data(as_text=True)
    lines = csv_text.lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("at,source,action") and len(lines) == 5
    assert lines[1].split(",")[1:3] == ["ticket", "done"]
