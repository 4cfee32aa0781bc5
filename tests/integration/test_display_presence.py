"""Display alarms: which displays are connected, as /healthz reports them for the console."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kiosk.background import PresenceBeat
from kiosk.domain import presence
from kiosk.domain.clock import FixedClock
from kiosk.services import Services
from tests.conftest import Actions, at


def displays(client: Any) -> dict[int, dict[str, Any]]:
    body = client.get("/healthz").get_json()
    return {d["id"]: d for d in body["displays"]}


def connect(app: Any, client: Any, token: str) -> Any:
    sio = app.extensions["motcua"].socketio
    return sio.test_client(
        app, namespace="/display", auth={"token": token}, flask_test_client=client
    )


def test_a_display_is_an_alarm_until_it_connects_and_after_it_has_been_gone_a_while(
    app: Any, client: Any, actions: Actions, clock: FixedClock
) -> None:
    before = displays(client)
    assert before[1] == {
        "id": 1,
        "name": "Màn hình sảnh",
        "site": "hall",
        "ok": False,
        "connected": False,
        "seen_at": None,
    }
    assert client.get("/healthz").get_json()["status"] == "ok"  # displays leave status alone

    tv = actions.device("tv", "display", display=1)
    sc = connect(app, client, tv)
    second = connect(app, client, tv)  # the same display open twice (a reload in progress)
    now = displays(client)[1]
    assert now["ok"] and now["connected"] and now["seen_at"] == "2026-11-25T09:00:00+07:00"
    assert displays(client)[2]["ok"] is False  # the annex's display is another one

    second.disconnect(namespace="/display")
    assert displays(client)[1]["connected"] is True  # one socket still open
    clock.advance(minutes=2)
    sc.disconnect(namespace="/display")
    gone = displays(client)[1]
    assert (gone["ok"], gone["connected"]) == (True, False)  # a restart reconnects in time
    assert gone["seen_at"] == "2026-11-25T09:02:00+07:00"
    clock.advance(seconds=presence.GRACE.total_seconds() + 1)
    assert displays(client)[1]["ok"] is False


def test_the_heartbeat_keeps_a_connected_display_fresh(
    app: Any, client: Any, actions: Actions, clock: FixedClock
) -> None:
    m = app.extensions["motcua"]
    tv = actions.device("tv", "display", display=1)
    sc = connect(app, client, tv)
    beat = PresenceBeat(Services(m.settings, m.config, m.db, clock), m.presence)
    for _ in range(4):  # well past STALE, refreshed every heartbeat
        clock.advance(seconds=presence.HEARTBEAT_S)
        beat.run_once()
    assert displays(client)[1]["ok"] is True
    # A process that died with the display on it stops refreshing: stale after STALE.
    clock.advance(seconds=presence.STALE.total_seconds() + 1)
    stale = displays(client)[1]
    assert (stale["ok"], stale["connected"]) == (False, False)
    sc.disconnect(namespace="/display")


def test_mark_upserts_on_both_databases(any_db: Any, cast: Any) -> None:
    t0 = at("2026-11-25 09:00")
    with any_db.transaction() as s:
        presence.mark(s, [1, 2], t0, connected=True)
    with any_db.transaction() as s:
        presence.mark(s, [1], t0 + timedelta(minutes=5), connected=False)
    with any_db.read() as s:
        found = {d["id"]: d for d in presence.display_health(s, cast, t0 + timedelta(minutes=5))}
    assert found[1]["connected"] is False and found[1]["ok"] is True
    assert found[1]["seen_at"] == t0 + timedelta(minutes=5)
    assert found[2]["ok"] is False  # connected, but nobody refreshed it for 5 minutes
