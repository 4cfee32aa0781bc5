"""The smaller holes: the guide's popular counts per address, file modes of the database and
secret, what error logs may say, a full disk, announcement audio, a retried call-next and the
Socket.IO origin check."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.settings import REPO_ROOT
from kiosk.throttle import GUIDE_VIEWS_PER_HOUR
from tests.conftest import Actions

DEMO = REPO_ROOT / "config"
PROCEDURE = "1.001193"


@pytest.fixture
def demo(tmp_path: Path, clock: Any) -> Iterator[Actions]:
    from kiosk import create_app
    from kiosk.dbsetup import load_config, upgrade

    app = create_app(
        {
            "instance": str(tmp_path / "instance"),
            "config": str(DEMO),
            "database_url": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
            "secret_key": "x",
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


def views_counted(a: Actions) -> int:
    from sqlalchemy import func, select

    from kiosk.models import UsageCount

    with a.m.db.read() as s:
        total = s.scalar(select(func.sum(UsageCount.count)).where(UsageCount.event == "viewed"))
    return int(total or 0)


def test_popular_counts_are_limited_per_address(demo: Actions) -> None:
    url = f"/api/v1/procedures/{PROCEDURE}/views"

    def view(address: str, **kw: Any) -> int:
        resp = demo.client.post(
            url, json={"site": "hall"}, environ_base={"REMOTE_ADDR": address}, **kw
        )
        return int(resp.status_code)

    for _ in range(GUIDE_VIEWS_PER_HOUR):
        assert view("10.3.3.3") == 204
    assert view("10.3.3.3") == 429
    assert views_counted(demo) == GUIDE_VIEWS_PER_HOUR
    assert view("10.3.3.4") == 204
    # An enrolled kiosk in the hall counts every citizen's view.
    kiosk = demo.device("kiosk-hall-1", "kiosk")
    for _ in range(GUIDE_VIEWS_PER_HOUR + 5):
        assert view("10.3.3.3", headers=demo.auth(kiosk)) == 204
    assert views_counted(demo) == 2 * GUIDE_VIEWS_PER_HOUR + 6


def test_database_and_secret_are_private(tmp_path: Path, clock: Any) -> None:
    import os
    import stat

    from kiosk import create_app
    from kiosk.dbsetup import upgrade

    instance = tmp_path / "instance"
    db_file = tmp_path / "data" / "motcua.sqlite3"
    (tmp_path / "data").mkdir()
    db_file.touch(mode=0o644)  # left by an older version
    os.chmod(db_file, 0o644)
    app = create_app(
        {"instance": str(instance), "database_url": f"sqlite:///{db_file}", "clock": clock}
    )
    m = app.extensions["motcua"]
    upgrade(m.db)
    a = Actions(app, app.test_client())
    site = m.config.sites[0]
    assert a.issue(a.user("anna"), service=site.services[0].code, site=site.code).status_code == 201
    for path in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm"), instance / "secret_key"):
        assert path.exists(), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    m.db.dispose()
    fresh = tmp_path / "fresh" / "x.sqlite3"
    from kiosk.db import Database

    other = Database(f"sqlite:///{fresh}")
    upgrade(other)
    other.dispose()
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


def test_error_logs_hold_no_parameters_or_tracking_codes(
    app: Any, client: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected database error on the tracking page: 500, one log entry that names the
    route, and neither the code from the path nor the statement's parameters."""
    import logging

    from sqlalchemy import text

    import kiosk.api.tickets as tickets

    def broken(s: Any, code: str) -> Any:
        return s.execute(text("SELECT id FROM no_such_table WHERE code = :c"), {"c": code})

    monkeypatch.setattr(tickets, "find_by_code", broken)
    code = "SECRETcode12345"
    with caplog.at_level(logging.ERROR):
        resp = client.get(f"/api/v1/track/{code}")
    assert resp.status_code == 500
    logged = caplog.text + "".join(
        logging.Formatter().formatException(r.exc_info) for r in caplog.records if r.exc_info
    )
    assert "/api/v1/track/<code>" in logged
    assert "no_such_table" in logged  # the error itself is there
    assert code not in logged


def test_announcements_only_for_real_calls(app: Any, actions: Actions) -> None:
    """Anyone may fetch a call's audio, so made-up numbers must not make files."""
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    kiosk = actions.device("kiosk-1", "kiosk")
    staff = actions.user("anna", "staff")
    number = actions.issue(kiosk).get_json()["number"]
    client = actions.client
    assert client.get(f"/audio/call/{number}/1.wav").status_code == 404  # not called yet
    actions.call_next(staff, counter=1)
    cache = Path(app.extensions["motcua"].settings.instance) / "voice" / "cache"
    with client.get(f"/audio/call/{number}/1.wav") as resp:
        assert resp.status_code == 200 and resp.data[:4] == b"RIFF"
    built = sorted(cache.iterdir())
    for made_up in ("A998", "B123", "Z9999"):
        for counter in (1, 2, 7):
            assert client.get(f"/audio/call/{made_up}/{counter}.wav").status_code == 404
    assert client.get(f"/audio/call/{number}/2.wav").status_code == 404  # another counter
    with client.get(f"/audio/call/{number}/1.wav") as resp:
        assert resp.status_code == 200
    assert sorted(cache.iterdir()) == built  # served from the cache, nothing rebuilt


def test_a_retried_call_next_does_not_close_the_citizen_just_called(
    app: Any, actions: Actions
) -> None:
    kiosk = actions.device("kiosk-1", "kiosk")
    staff = actions.user("anna", "staff")
    first, second = actions.issue(kiosk).get_json(), actions.issue(kiosk).get_json()
    url = "/api/v1/counters/hall/1/call-next"

    def call(current: int | None) -> Any:
        return actions.client.post(url, json={"current": current}, headers=actions.auth(staff))

    called = call(None)
    assert called.status_code == 200 and called.get_json()["id"] == first["id"]
    # The answer was lost; the console, still showing nobody, sends the same request again.
    again = call(None)
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    assert again.get_json()["status"] == "called"
    with app.extensions["motcua"].db.read() as s:
        from kiosk.models import Ticket

        assert s.get(Ticket, second["id"]).status == "waiting"
    # The console now shows the first ticket: done-and-next closes it and calls the second.
    moved = call(first["id"])
    assert moved.get_json()["id"] == second["id"]
    assert actions.act(staff, first["id"], "recall").status_code == 409  # it is done
    # Without a body call-next keeps its plain meaning.
    third = actions.issue(kiosk).get_json()
    assert actions.call_next(staff).get_json()["id"] == third["id"]
    bad = actions.client.post(url, json={"current": "x"}, headers=actions.auth(staff))
    assert bad.status_code == 422


def test_a_full_disk_is_a_503_one_log_line_a_minute_and_healthz_says_so(
    app: Any, actions: Actions, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from sqlalchemy import event, text

    from kiosk import diskfull

    diskfull.reset()
    m = app.extensions["motcua"]
    kiosk = actions.device("kiosk-1", "kiosk")
    staff = actions.user("anna", "staff")
    assert actions.issue(kiosk).status_code == 201
    # The database file may not grow by one page more: SQLite answers SQLITE_FULL, as on a
    # full disk.
    with m.db.engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar()

    @event.listens_for(m.db.engine, "connect")
    def _cap(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    m.db.dispose()  # every connection reopens with the cap
    with m.db.engine.connect() as conn:  # use up the free pages the file still has
        try:
            conn.execute(text("CREATE TABLE filler (x BLOB)"))
            conn.commit()
        except Exception:  # not one free page left: the file is full already
            conn.rollback()
        for size in (1 << 20, 1 << 14, 1 << 10, 64):
            try:
                while True:
                    conn.execute(text(f"INSERT INTO filler VALUES (zeroblob({size}))"))
                    conn.commit()
            except Exception:
                conn.rollback()
    try:
        with caplog.at_level(logging.WARNING):
            # The tables' last pages still have room for a few rows.
            for _ in range(2000):
                if actions.issue(staff).status_code == 503:
                    break
            answers = [actions.issue(kiosk) for _ in range(20)]
            answers += [actions.issue(staff) for _ in range(5)]
            page = actions.client.post(
                "/login", data={"username": "anna", "password": "x", "csrf_token": "x"}
            )
        assert {a.status_code for a in answers} == {503}
        assert answers[0].get_json()["error"]["code"] == "storage_unavailable"
        assert page.status_code in (400, 503)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "cannot take writes" in errors[0].getMessage()
        assert not any(r.exc_info for r in caplog.records)
        health = actions.client.get("/healthz")
        body = health.get_json()
        assert health.status_code == 503 and body["database"]["writable"] is False
        assert actions.client.get("/api/v1/sites/hall/services").status_code == 200  # reads
    finally:
        event.remove(m.db.engine, "connect", _cap)
        m.db.dispose()
        with m.db.engine.connect() as conn:
            conn.execute(text("DROP TABLE IF EXISTS filler"))
            conn.commit()
        diskfull.reset()
    assert actions.client.get("/healthz").get_json()["database"]["writable"] is True
    assert actions.issue(kiosk).status_code == 201


def test_client_addresses_are_forgotten_after_the_retention_period(
    app: Any, actions: Actions, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from kiosk.background import Housekeeper
    from kiosk.models import AuditEntry, TicketEvent
    from kiosk.services import Services

    m = app.extensions["motcua"]
    kiosk = actions.device("kiosk-1", "kiosk")
    client = actions.client
    client.post("/api/v1/auth/token", json={"username": "x", "password": "y"})  # audited
    old = actions.issue(kiosk, priority="elderly").get_json()  # history and audit rows
    clock.advance(days=20)
    new = actions.issue(kiosk, priority="elderly").get_json()
    clock.advance(days=11)  # the first rows are 31 days old, the others 11

    def addresses() -> tuple[list[Any], dict[int, list[Any]]]:
        with m.db.read() as s:
            audit = [r.address for r in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
            events: dict[int, list[Any]] = {}
            for e in s.scalars(select(TicketEvent)):
                events.setdefault(e.ticket_id, []).append((e.data or {}).get("address"))
        return audit, events

    audit, events = addresses()
    assert all(audit) and all(events[old["id"]]) and all(events[new["id"]])
    core = Services(m.settings, m.config, m.db, clock)  # 30 days by default
    Housekeeper(core).run_once()
    audit, events = addresses()
    assert audit[:2] == [None, None] and all(audit[2:])
    assert not any(events[old["id"]]) and events[new["id"]][0]
    core.settings = dataclasses.replace(m.settings, address_retention_days=0)
    Housekeeper(core).run_once()
    audit, events = addresses()
    assert not any(audit) and not any(events[new["id"]])
