"""Admins change services and counters through the API: validated like the files, stored as
a new configuration version with an audit entry, offered at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import CAST, Actions, app_on, database_url

SERVICES = "/api/v1/sites/hall/services"
COUNTERS = "/api/v1/sites/hall/counters"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Any, clock: Any) -> Any:
    """The app of the shared fixture, on SQLite and on PostgreSQL."""
    url = database_url(request, tmp_path, "app.sqlite3")
    with app_on(url, tmp_path, clock, CAST, public_url="http://motcua.test") as application:
        yield application


@pytest.fixture
def admin(actions: Actions) -> dict[str, str]:
    return actions.auth(actions.user("boss", "admin"))


def _codes(client: Any) -> list[str]:
    return [s["code"] for s in client.get(SERVICES).get_json()]


def test_add_service_then_counter_offered_at_once(client: Any, actions: Actions, admin: Any):
    r = client.post(
        SERVICES,
        json={
            "code": "land",
            "prefix": "C",
            "name": "Đất đai",
            "name_en": "Land",
            "daily_cap": 40,
            "target_wait_s": 900,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json() == {
        "code": "land",
        "prefix": "C",
        "name": "Đất đai",
        "name_en": "Land",
        "daily_cap": 40,
        "target_wait_s": 900,
        "enabled": True,
    }
    assert "land" in _codes(client)
    r = client.post(
        COUNTERS, json={"number": 3, "name": "Quầy 3", "services": ["land", "cert"]}, headers=admin
    )
    assert r.status_code == 201, r.get_json()
    counters = {c["number"]: c for c in client.get(COUNTERS).get_json()}
    assert counters[3]["services"] == ["land", "cert"]
    kiosk = actions.device("kiosk-1", "kiosk")
    r = actions.issue(kiosk, "land")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["number"] == "C001"
    staff = actions.user("staff3", "staff")
    called = actions.call_next(staff, counter=3)
    assert called.status_code == 200 and called.get_json()["number"] == "C001"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "cert", "prefix": "C", "name": "x"}, "code"),
        ({"code": "land", "prefix": "A", "name": "x"}, "prefix"),
        ({"code": "land", "prefix": "C", "name": "x", "daily_cap": -1}, "daily_cap"),
        ({"code": "land", "prefix": "cc", "name": "x"}, "prefix"),
    ],
)
def test_bad_service_is_422_and_changes_nothing(client: Any, admin: Any, body: Any, field: str):
    before = client.get(SERVICES).get_json()
    r = client.post(SERVICES, json=body, headers=admin)
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "invalid_input" and err["message"]
    assert field in (err.get("field") or err["message"])
    assert client.get(SERVICES).get_json() == before


def test_counter_with_unknown_service_is_422(client: Any, admin: Any):
    r = client.post(COUNTERS, json={"number": 5, "name": "Q5", "services": ["nope"]}, headers=admin)
    assert r.status_code == 422
    assert "nope" in r.get_json()["error"]["message"]
    r = client.patch(f"{COUNTERS}/1", json={"services": ["cert", "nope"]}, headers=admin)
    assert r.status_code == 422
    assert [c["services"] for c in client.get(COUNTERS).get_json()][0] == ["cert", "civil"]


def test_disabled_service_not_offered_and_refuses_tickets(
    client: Any, actions: Actions, admin: Any
):
    r = client.patch(f"{SERVICES}/civil", json={"enabled": False}, headers=admin)
    assert r.status_code == 200 and r.get_json()["enabled"] is False
    assert _codes(client) == ["cert"]
    kiosk = actions.device("kiosk-1", "kiosk")
    r = actions.issue(kiosk, "civil")
    assert r.status_code == 409
    assert r.get_json()["error"]["code"] == "service_closed"
    r = client.patch(f"{SERVICES}/civil", json={"enabled": True, "name_en": "Civil"}, headers=admin)
    assert r.status_code == 200
    assert actions.issue(kiosk, "civil").status_code == 201


def test_patch_cap_and_name(client: Any, actions: Actions, admin: Any):
    r = client.patch(
        f"{SERVICES}/cert", json={"daily_cap": 1, "name": "Chứng thực bản sao"}, headers=admin
    )
    assert r.status_code == 200
    kiosk = actions.device("kiosk-1", "kiosk")
    assert actions.issue(kiosk, "cert").status_code == 201
    r = actions.issue(kiosk, "cert")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "daily_cap_reached"
    r = client.patch(
        f"{SERVICES}/cert", json={"daily_cap": None, "target_wait_s": None}, headers=admin
    )
    assert r.get_json()["daily_cap"] is None and r.get_json()["target_wait_s"] == 1200
    for bad in (
        {"enabled": None},
        {"name": None},
        {"daily_cap": 0},
        {"daily_cap": "5"},
        {"target_wait_s": 10},
        {"name": "x" * 500},
        {"color": "red"},
    ):
        assert client.patch(f"{SERVICES}/cert", json=bad, headers=admin).status_code == 422
    assert actions.issue(kiosk, "cert").status_code == 201


def test_only_admins(client: Any, actions: Actions):
    staff = actions.auth(actions.user("s1", "staff"))
    sup = actions.auth(actions.user("s2", "supervisor"))
    body = {"code": "land", "prefix": "C", "name": "x"}
    assert client.post(SERVICES, json=body).status_code == 401
    assert client.post(SERVICES, json=body, headers=staff).status_code == 403
    assert client.post(SERVICES, json=body, headers=sup).status_code == 403
    assert client.get("/api/v1/audit", headers=sup).status_code == 403


def test_audit_lists_changes_newest_first(client: Any, admin: Any):
    client.patch(f"{SERVICES}/cert", json={"name_en": "Certs"}, headers=admin)
    client.patch(f"{COUNTERS}/2", json={"name": "Quầy hai"}, headers=admin)
    client.post("/api/v1/auth/token", json={"username": "boss", "password": "wrong"})
    rows = client.get("/api/v1/audit?limit=10", headers=admin).get_json()
    actions_seen = [r["action"] for r in rows]
    assert actions_seen[:3] == ["login_failed", "counter_changed", "service_changed"]
    assert rows[1]["user"] == "boss" and rows[1]["target"] == "hall/counters/2"
    assert rows[2]["target"] == "hall/services/cert"
    assert set(rows[0]) == {"at", "user", "action", "target", "detail"}
    later = client.get(
        f"/api/v1/audit?since={rows[0]['at'].replace('+', '%2B')}", headers=admin
    ).get_json()
    assert [r["action"] for r in later][0] == "login_failed"
    for bad in ("since=yesterday", "limit=0", "limit=%D9%A3", "limit=99999999999999999999"):
        assert client.get(f"/api/v1/audit?{bad}", headers=admin).status_code == 422


def test_a_site_bound_admin_reads_only_their_sites_audit(client: Any, actions: Actions):
    everywhere = actions.auth(actions.user("chief", "admin"))
    hall_only = actions.auth(actions.user("hallboss", "admin", site="hall"))
    client.patch("/api/v1/sites/annex/services/help", json={"name": "Hỗ trợ 2"}, headers=everywhere)
    client.patch(f"{SERVICES}/cert", json={"name": "Chứng thực 2"}, headers=hall_only)
    seen = [r["target"] for r in client.get("/api/v1/audit", headers=hall_only).get_json()]
    assert seen == ["hall/services/cert"]
    r = client.patch("/api/v1/sites/annex/services/help", json={"name": "x"}, headers=hall_only)
    assert r.status_code == 403
