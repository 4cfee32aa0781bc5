"""Namespace /display: auth, the state snapshot on connect, numbered `called` events, rooms."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Actions


def connect(app: Any, client: Any, auth: Any) -> Any:
    sio = app.extensions["motcua"].socketio
    return sio.test_client(app, namespace="/display", auth=auth, flask_test_client=client)


def received(sc: Any, name: str) -> list[Any]:
    return [m["args"][0] for m in sc.get_received("/display") if m["name"] == name]


@pytest.fixture
def tv(actions: Actions) -> str:
    return actions.device("tv", "display", display=1)


def test_refuses_without_a_valid_display_token(app: Any, client: Any, actions: Actions) -> None:
    assert not connect(app, client, None).is_connected("/display")
    assert not connect(app, client, {"token": "nope"}).is_connected("/display")
    kiosk = actions.device("k", "kiosk")
    assert not connect(app, client, {"token": kiosk}).is_connected("/display")


def test_state_on_connect_then_numbered_calls(
    app: Any, client: Any, actions: Actions, tv: str
) -> None:
    staff = actions.user()
    sc = connect(app, client, {"token": tv})
    assert sc.is_connected("/display")
    assert received(sc, "state") == [{"event_id": 0, "now_serving": [], "recent": []}]
    a1 = actions.issue(staff).get_json()
    actions.issue(staff)
    actions.call_next(staff, counter=1)
    actions.act(staff, a1["id"], "recall")
    actions.call_next(staff, counter=2)
    calls = received(sc, "called")
    assert [(c["event_id"], c["number"], c["counter"], c["recall"]) for c in calls] == [
        (1, "A001", 1, False),
        (2, "A001", 1, True),
        (3, "A002", 2, False),
    ]
    first = calls[0]
    assert {
        "event_id",
        "number",
        "counter",
        "counter_name",
        "service",
        "site",
        "recall",
        "announcement",
    } <= set(first)
    assert first["counter_name"] == "Quầy 1" and first["site"] == "hall"
    assert first["announcement"]["text"] == "Xin mời công dân có số thứ tự A001 đến quầy số 1"
    assert first["announcement"]["audio_url"]
    # Asking again (after a gap) gives the snapshot with the latest event id.
    sc.emit("state", namespace="/display")
    state = received(sc, "state")[0]
    assert state["event_id"] == 3
    assert [(n["counter"], n["number"]) for n in state["now_serving"]] == [(1, "A001"), (2, "A002")]
    assert [r["number"] for r in state["recent"]] == ["A002", "A001"]
    sc.disconnect(namespace="/display")


def test_reconnect_gets_a_fresh_snapshot_without_replaying(
    app: Any, client: Any, actions: Actions, tv: str
) -> None:
    staff = actions.user()
    actions.issue(staff)
    actions.call_next(staff)
    sc = connect(app, client, {"token": tv})
    messages = sc.get_received("/display")
    assert [m["name"] for m in messages] == ["state"]
    assert messages[0]["args"][0]["event_id"] == 1
    sc.disconnect(namespace="/display")


def test_displays_and_sites_are_isolated(app: Any, client: Any, actions: Actions, tv: str) -> None:
    staff = actions.user()
    annex_tv = actions.device("tv2", "display", site="annex", display=2)
    hall = connect(app, client, {"token": tv})
    annex = connect(app, client, {"token": annex_tv})
    received(hall, "state"), received(annex, "state")
    actions.issue(staff)
    actions.call_next(staff)
    assert len(received(hall, "called")) == 1
    assert received(annex, "called") == []
    hall.disconnect(namespace="/display")
    annex.disconnect(namespace="/display")


def test_staff_token_may_watch_a_display(app: Any, client: Any, actions: Actions) -> None:
    staff = actions.user()
    sc = connect(app, client, {"token": staff, "display": 1})
    assert sc.is_connected("/display")
    assert received(sc, "state")[0]["event_id"] == 0
    sc.disconnect(namespace="/display")


def test_signed_in_staff_browser_may_watch_its_own_sites_display(
    app: Any, client: Any, actions: Actions
) -> None:
    from tests.integration.test_display_pages import login

    actions.user("anna", site="hall")
    login(client, "anna")
    sc = connect(app, client, {"display": 1})
    assert sc.is_connected("/display")
    assert received(sc, "state")[0]["event_id"] == 0
    sc.disconnect(namespace="/display")


def test_signed_in_staff_of_another_site_may_not_watch(
    app: Any, client: Any, actions: Actions
) -> None:
    from tests.integration.test_display_pages import login

    actions.user("bao", site="annex")
    login(client, "bao")
    assert not connect(app, client, {"display": 1}).is_connected("/display")
    assert not connect(app, client, None).is_connected("/display")
