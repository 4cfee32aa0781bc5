"""The same API flows on PostgreSQL (psycopg 3), through the app factory and its migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CAST, Actions

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_actions(pg_url: str, tmp_path: Path, clock: Any) -> Any:
    from kiosk import create_app
    from kiosk.dbsetup import load_config, upgrade

    app = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(CAST),
            "database_url": pg_url,
            "secret_key": "x",
            "public_url": "http://motcua.test",
            "clock": clock,
            "testing": True,
            "printer": f"spool:{tmp_path / 'spool'}",
        }
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    load_config(m.db, m.config)
    yield Actions(app, app.test_client())
    m.db.dispose()


def test_full_flow_on_postgresql(pg_actions: Actions) -> None:
    a = pg_actions
    kiosk = a.device("kiosk-1", "kiosk")
    staff = a.user()
    tv = a.device("tv", "display", display=1)
    h = a.auth(kiosk, **{"Idempotency-Key": "k1"})
    first = a.client.post("/api/v1/tickets", json={"site": "hall", "service": "cert"}, headers=h)
    again = a.client.post("/api/v1/tickets", json={"site": "hall", "service": "cert"}, headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    t1 = first.get_json()
    t2 = a.issue(kiosk, priority="elderly").get_json()
    assert (t1["number"], t2["number"]) == ("A001", "A002")
    assert t2["ahead"] == 0 and t1["print"]["status"] == "queued"
    called = a.call_next(staff).get_json()
    assert called["id"] == t1["id"]  # interleave 1-in-3: two ordinary calls may come first
    assert a.act(staff, t1["id"], "recall").status_code == 200
    assert a.act(staff, t1["id"], "start").get_json()["status"] == "serving"
    assert a.act(staff, t1["id"], "start").status_code == 409
    assert a.call_next(staff).get_json()["id"] == t2["id"]
    moved = a.act(staff, t2["id"], "transfer", {"service": "civil", "note": "ghi chú"})
    assert moved.get_json()["status"] == "transferred"
    assert a.call_next(staff, counter=2).get_json()["number"] == "A002"
    assert a.call_next(staff, counter=1).status_code == 204
    state = a.client.get("/api/v1/displays/1/state", headers=a.auth(tv)).get_json()
    assert state["event_id"] == 4
    assert [r["number"] for r in state["recent"]] == ["A002", "A001"]
    r = a.client.post(f"/api/v1/track/{t1['code']}/rating", json={"score": 4})
    assert r.status_code == 201
    assert a.client.post(f"/api/v1/track/{t1['code']}/rating", json={"score": 4}).status_code == 409
    body = a.client.get("/healthz").get_json()
    assert body["database"] == {"ok": True, "dialect": "postgresql", "writable": True}


def test_print_queue_on_postgresql(pg_actions: Actions) -> None:
    from kiosk.printing.worker import PrintWorker
    from printer.spec import parse_printer_uri
    from printer.transports import DummyTransport

    a = pg_actions
    kiosk = a.device("kiosk-1", "kiosk")
    ids = [a.issue(kiosk).get_json()["id"] for _ in range(3)]
    m = a.app.extensions["motcua"]
    out = DummyTransport(parse_printer_uri("dummy"))
    w = PrintWorker(
        m,
        None,
        out.spec,
        publish=m.publisher.publish,
        default_base="http://motcua.test",
        transport=out,
    )
    while w.run_once():
        pass
    statuses = [
        a.client.get(f"/api/v1/tickets/{i}", headers=a.auth(kiosk)).get_json()["print"] for i in ids
    ]
    assert statuses == [{"status": "printed"}] * 3
    assert len(out.jobs) == 3
