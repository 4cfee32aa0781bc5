"""API v1 through the Flask test client: documented shapes, the auth matrix, errors, idempotency."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Actions

TICKET_FIELDS = {
    "id",
    "code",
    "number",
    "site",
    "service",
    "priority",
    "status",
    "issued_at",
    "called_at",
    "counter",
    "ahead",
    "estimated_wait_s",
    "track_url",
    "print",
}


def error_of(resp: Any) -> dict[str, Any]:
    body = resp.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    assert body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


@pytest.fixture
def kiosk(actions: Actions) -> str:
    return actions.device("kiosk-1", "kiosk")


@pytest.fixture
def staff(actions: Actions) -> str:
    return actions.user("canbo", "staff")


def test_public_lists(client: Any) -> None:
    sites = client.get("/api/v1/sites").get_json()
    assert [s["code"] for s in sites] == ["hall", "annex"]
    assert {"code", "name", "address"} <= set(sites[0])
    services = client.get("/api/v1/sites/hall/services").get_json()
    assert [(s["code"], s["prefix"], s["open"], s["waiting"]) for s in services] == [
        ("cert", "A", True, 0),
        ("civil", "B", True, 0),
    ]
    assert all("estimated_wait_s" in s and "name" in s for s in services)
    counters = client.get("/api/v1/sites/hall/counters").get_json()
    assert counters[1] == {
        "number": 2,
        "name": "Quầy 2",
        "services": ["civil", "cert"],
        "status": "closed",
        "pause_reason": None,
        "current": None,
    }
    assert client.get("/api/v1/sites/hall/displays").get_json() == [
        {"id": 1, "name": "Màn hình sảnh", "counters": [1, 2]}
    ]
    assert [g["code"] for g in client.get("/api/v1/priority-groups").get_json()] == [
        "elderly",
        "disability",
    ]
    assert error_of(client.get("/api/v1/sites/nowhere/services"))["code"] == "not_found"


def test_issue_returns_the_documented_ticket(actions: Actions, kiosk: str) -> None:
    resp = actions.issue(kiosk)
    assert resp.status_code == 201
    t = resp.get_json()
    assert TICKET_FIELDS <= set(t)
    assert (t["number"], t["site"], t["service"], t["status"], t["priority"]) == (
        "A001",
        "hall",
        "cert",
        "waiting",
        None,
    )
    assert re.fullmatch(r"[A-Za-z0-9_-]{11,}", t["code"])
    assert t["issued_at"].endswith("+07:00") and t["called_at"] is None
    assert t["track_url"] == f"http://motcua.test/t/{t['code']}"
    assert t["print"] == {"status": "none"}
    assert (t["ahead"], t["estimated_wait_s"]) == (0, 0)
    second = actions.issue(kiosk).get_json()
    assert (second["number"], second["ahead"], second["estimated_wait_s"]) == ("A002", 1, 150)


def test_idempotency_key_replays_and_refuses_another_body(actions: Actions, kiosk: str) -> None:
    h = actions.auth(kiosk, **{"Idempotency-Key": "tap-1"})
    body = {"site": "hall", "service": "cert"}
    first = actions.client.post("/api/v1/tickets", json=body, headers=h)
    again = actions.client.post("/api/v1/tickets", json=body, headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    other = actions.client.post("/api/v1/tickets", json={**body, "service": "civil"}, headers=h)
    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"
    # Keys are scoped to the token: another kiosk may use the same key.
    k2 = actions.device("kiosk-2", "kiosk")
    third = actions.client.post(
        "/api/v1/tickets", json=body, headers=actions.auth(k2, **{"Idempotency-Key": "tap-1"})
    )
    assert third.status_code == 201 and third.get_json()["number"] == "A002"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"site": "hall"}, "service"),
        ({"site": "hall", "service": "cert", "extra": 1}, "extra"),
        ({"site": "hall", "service": 5}, "service"),
        ({"site": "hall", "service": "cert", "priority": "vip"}, "priority"),
    ],
)
def test_bad_bodies_are_422_and_write_nothing(
    actions: Actions, kiosk: str, body: Any, field: str
) -> None:
    resp = actions.client.post("/api/v1/tickets", json=body, headers=actions.auth(kiosk))
    assert resp.status_code == 422
    assert error_of(resp)["code"] == "invalid_input"
    assert actions.issue(kiosk).get_json()["number"] == "A001"


def test_not_json_and_unknown_service(actions: Actions, kiosk: str) -> None:
    resp = actions.client.post("/api/v1/tickets", data="nope", headers=actions.auth(kiosk))
    assert resp.status_code == 422
    resp = actions.issue(kiosk, service="nope")
    assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"


def test_messages_follow_accept_language(actions: Actions, staff: str) -> None:
    vi = actions.act(staff, 999, "done")
    en = actions.client.post(
        "/api/v1/tickets/999/done",
        headers=actions.auth(staff, **{"Accept-Language": "en-US,en;q=0.9"}),
    )
    assert vi.status_code == en.status_code == 404
    assert error_of(vi)["message"].startswith("Không có phiếu")
    assert error_of(en)["message"] == "Not found."


def test_unknown_path_404_and_wrong_method_405(client: Any) -> None:
    assert error_of(client.get("/api/v1/nothing"))["code"] == "not_found"
    resp = client.delete("/api/v1/sites")
    assert resp.status_code == 405 and error_of(resp)["code"] == "method_not_allowed"
    assert client.get("/api/v1/tickets/1/recall").status_code == 405
    assert client.get("/api/v1/tickets/abc").status_code == 404


def test_auth_matrix(actions: Actions, kiosk: str, staff: str) -> None:
    display = actions.device("tv", "display", display=1)
    rater = actions.device("tab", "counter", counter=1)
    other_kiosk = actions.device("kiosk-2", "kiosk")
    annex_kiosk = actions.device("k-annex", "kiosk", site="annex")
    c = actions.client
    # Issuing: kiosks (own site only) and staff; never displays or anonymous callers.
    assert actions.issue(staff).status_code == 201
    assert actions.issue(display).status_code == 403
    assert actions.issue(rater).status_code == 403
    assert actions.issue(annex_kiosk).status_code == 403
    anon = c.post("/api/v1/tickets", json={"site": "hall", "service": "cert"})
    assert anon.status_code == 401 and error_of(anon)["code"] == "unauthorized"
    bad = c.post(
        "/api/v1/tickets",
        json={"site": "hall", "service": "cert"},
        headers={"Authorization": "Bearer nope"},
    )
    assert bad.status_code == 401
    t = actions.issue(kiosk).get_json()
    # Reading: staff and the issuing kiosk only.
    assert c.get(f"/api/v1/tickets/{t['id']}", headers=actions.auth(kiosk)).status_code == 200
    assert c.get(f"/api/v1/tickets/{t['id']}", headers=actions.auth(staff)).status_code == 200
    assert c.get(f"/api/v1/tickets/{t['id']}", headers=actions.auth(other_kiosk)).status_code == 404
    assert c.get(f"/api/v1/tickets/{t['id']}", headers=actions.auth(display)).status_code == 403
    # Calling: staff only.
    assert actions.call_next(kiosk).status_code == 403
    assert actions.call_next(display).status_code == 403
    assert actions.act(kiosk, t["id"], "done").status_code == 403
    # Display state: that display and staff.
    assert c.get("/api/v1/displays/1/state", headers=actions.auth(display)).status_code == 200
    assert c.get("/api/v1/displays/1/state", headers=actions.auth(staff)).status_code == 200
    assert c.get("/api/v1/displays/1/state", headers=actions.auth(kiosk)).status_code == 403
    tv2 = actions.device("tv2", "display", site="annex", display=2)
    assert c.get("/api/v1/displays/1/state", headers=actions.auth(tv2)).status_code == 403
    # Staff of another site.
    annex_staff = actions.user("annex1", "staff", site="annex")
    assert actions.call_next(annex_staff).status_code == 403
    assert actions.call_next(annex_staff, site="annex").status_code == 204


def test_call_flow_and_409(actions: Actions, kiosk: str, staff: str) -> None:
    a1 = actions.issue(kiosk).get_json()
    a2 = actions.issue(kiosk).get_json()
    called = actions.call_next(staff)
    assert called.status_code == 200
    body = called.get_json()
    assert (body["id"], body["status"], body["counter"]) == (a1["id"], "called", 1)
    assert body["called_at"].endswith("+07:00")
    assert actions.act(staff, a1["id"], "recall").get_json()["status"] == "called"
    assert actions.act(staff, a1["id"], "start").get_json()["status"] == "serving"
    resp = actions.act(staff, a2["id"], "done")
    assert resp.status_code == 409 and error_of(resp)["code"] == "invalid_transition"
    nxt = actions.call_next(staff).get_json()
    assert nxt["id"] == a2["id"]
    assert (
        actions.client.get(f"/api/v1/tickets/{a1['id']}", headers=actions.auth(staff)).get_json()[
            "status"
        ]
        == "done"
    )
    assert actions.act(staff, a2["id"], "transfer").status_code == 422
    moved = actions.act(staff, a2["id"], "transfer", {"service": "civil", "note": "<b>x</b>"})
    assert moved.get_json()["status"] == "transferred" and moved.get_json()["number"] == "A002"
    assert actions.act(staff, a2["id"], "fly").status_code == 404
    assert actions.call_next(staff, counter=2).get_json()["id"] == a2["id"]
    assert actions.call_next(staff, counter=1).status_code == 204
    assert actions.call_next(staff, counter=9).status_code == 404


def test_call_a_given_ticket_and_pause(actions: Actions, kiosk: str, staff: str) -> None:
    actions.issue(kiosk)
    a2 = actions.issue(kiosk).get_json()
    c = actions.client
    r = c.post(
        "/api/v1/counters/hall/2/call", json={"ticket": a2["id"]}, headers=actions.auth(staff)
    )
    assert r.status_code == 200 and r.get_json()["counter"] == 2
    r = c.post("/api/v1/counters/hall/1/pause", json={"reason": "họp"}, headers=actions.auth(staff))
    assert r.get_json() == {"number": 1, "status": "paused", "pause_reason": "họp"}
    counters = c.get("/api/v1/sites/hall/counters").get_json()
    assert counters[0]["status"] == "paused" and counters[1]["current"] == "A002"


def test_track_and_rate(actions: Actions, kiosk: str, staff: str) -> None:
    t = actions.issue(kiosk).get_json()
    c = actions.client
    tracked = c.get(f"/api/v1/track/{t['code']}").get_json()
    assert tracked["number"] == "A001" and tracked["status"] == "waiting"
    assert "id" not in tracked and "code" not in tracked
    assert c.get("/api/v1/track/doesnotexist").status_code == 404
    assert c.post(f"/api/v1/track/{t['code']}/rating", json={"score": 4}).status_code == 409
    actions.call_next(staff)
    actions.act(staff, t["id"], "done")
    assert c.get(f"/api/v1/track/{t['code']}").get_json()["can_rate"] is True
    assert c.post(f"/api/v1/track/{t['code']}/rating", json={"score": 9}).status_code == 422
    ok = c.post(f"/api/v1/track/{t['code']}/rating", json={"score": 3})
    assert ok.status_code == 201 and ok.get_json() == {"score": 3, "scale": 4, "label": "Hài lòng"}
    assert c.post(f"/api/v1/track/{t['code']}/rating", json={"score": 3}).status_code == 409


def test_counter_device_rates_its_own_counter_only(
    actions: Actions, kiosk: str, staff: str
) -> None:
    t = actions.issue(kiosk).get_json()
    actions.call_next(staff)
    actions.act(staff, t["id"], "done")
    other = actions.device("tab2", "counter", counter=2)
    mine = actions.device("tab1", "counter", counter=1)
    url = f"/api/v1/tickets/{t['id']}/rating"
    assert (
        actions.client.post(url, json={"score": 4}, headers=actions.auth(other)).status_code == 403
    )
    assert (
        actions.client.post(url, json={"score": 4}, headers=actions.auth(staff)).status_code == 403
    )
    r = actions.client.post(
        url, json={"score": 1, "reasons": ["long_wait"]}, headers=actions.auth(mine)
    )
    assert r.status_code == 201


def test_token_endpoint_and_lockout(actions: Actions) -> None:
    actions.user("alice", "staff", password="s3cret-pass")
    c = actions.client
    ok = c.post("/api/v1/auth/token", json={"username": "alice", "password": "s3cret-pass"})
    assert ok.status_code == 200
    token = ok.get_json()["token"]
    assert ok.get_json()["expires_at"].endswith("+07:00")
    assert actions.issue(token).status_code == 201
    for _ in range(10):
        bad = c.post("/api/v1/auth/token", json={"username": "alice", "password": "wrong"})
        assert bad.status_code == 401
    locked = c.post("/api/v1/auth/token", json={"username": "alice", "password": "s3cret-pass"})
    assert locked.status_code == 429 and error_of(locked)["code"] == "rate_limited"


def test_disabled_user_loses_tokens_at_once(actions: Actions, app: Any) -> None:
    from kiosk.domain.accounts import disable_user

    token = actions.user("bob", "staff")
    assert actions.issue(token).status_code == 201
    with app.extensions["motcua"].change() as tx:
        tx.take(disable_user(tx.s, "bob"))
    assert actions.issue(token).status_code == 401


def test_kiosk_rate_limit_answers_429(actions: Actions, kiosk: str, app: Any) -> None:
    for _ in range(30):
        assert actions.issue(kiosk).status_code == 201
    resp = actions.issue(kiosk)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "60"
    staff = actions.user("s", "staff")
    assert actions.issue(staff).status_code == 201  # staff are not limited


def test_closed_service_and_cap_say_when_they_reopen(actions: Actions, clock: Any) -> None:
    from tests.conftest import at

    staff = actions.user("s", "staff")
    clock.set(at("2026-11-28 10:00"))  # Saturday
    r = actions.issue(staff, service="help", site="annex")
    assert r.status_code == 409
    err = error_of(r)
    assert err["code"] == "service_closed" and err["reopens_at"] == "2026-11-30T08:00:00+07:00"
    clock.set(at("2026-11-30 10:00"))
    for _ in range(3):
        assert actions.issue(staff, service="help", site="annex").status_code == 201
    err = error_of(actions.issue(staff, service="help", site="annex"))
    assert err["code"] == "daily_cap_reached" and err["reopens_at"] == "2026-12-01T08:00:00+07:00"
    svc = actions.client.get("/api/v1/sites/annex/services").get_json()[0]
    assert (svc["open"], svc["closed_reason"]) == (False, "daily_cap_reached")


def test_openapi_document_is_valid_and_complete(client: Any) -> None:
    from openapi_spec_validator import validate

    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    paths = doc["paths"]
    for path, method in [
        ("/api/v1/sites", "get"),
        ("/api/v1/sites/{site}/services", "get"),
        ("/api/v1/sites/{site}/counters", "get"),
        ("/api/v1/sites/{site}/displays", "get"),
        ("/api/v1/priority-groups", "get"),
        ("/api/v1/tickets", "post"),
        ("/api/v1/tickets/{ticket_id}", "get"),
        ("/api/v1/tickets/{ticket_id}/escpos", "get"),
        ("/api/v1/tickets/{ticket_id}/preview.png", "get"),
        ("/api/v1/track/{code}", "get"),
        ("/api/v1/counters/{site}/{counter}/call-next", "post"),
        ("/api/v1/tickets/{ticket_id}/{action}", "post"),
        ("/api/v1/tickets/{ticket_id}/rating", "post"),
        ("/api/v1/track/{code}/rating", "post"),
        ("/api/v1/displays/{display}/state", "get"),
        ("/api/v1/openapi.json", "get"),
        ("/api/v1/auth/token", "post"),
    ]:
        assert method in paths.get(path, {}), (path, method)
    ticket = doc["components"]["schemas"]["TicketOut"]
    assert TICKET_FIELDS <= set(ticket["properties"])


def test_healthz(client: Any) -> None:
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["message_queue"]["ok"] is True and isinstance(body["printers"], list)


def test_answers_are_checked_against_their_declared_models(app: Any) -> None:
    """Under test every declared answer is validated: a view that drifts from its model fails."""
    from flask import jsonify
    from pydantic import TypeAdapter, ValidationError

    from kiosk.api import _check_response
    from kiosk.api.schemas import SiteOut

    declared = TypeAdapter(list[SiteOut])
    with app.test_request_context():
        good = [
            {
                "code": "hall",
                "name": "Hội trường",
                "address": "x",
                "name_en": "Hall",
                "guide": False,
            }
        ]
        assert _check_response(jsonify(good), declared, 200).status_code == 200
        with pytest.raises(ValidationError):
            _check_response(jsonify([{"code": "hall"}]), declared, 200)
        # Other statuses (errors, 204) are not the declared answer.
        assert _check_response((jsonify({"error": {}}), 404), declared, 200).status_code == 404
