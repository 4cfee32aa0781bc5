"""The counter takes back a no-show over HTTP; the console offers it."""

from __future__ import annotations

from typing import Any

from tests.conftest import Actions


def test_undo_no_show_over_the_api(client: Any, actions: Actions) -> None:
    staff, kiosk = actions.user(), actions.device("kiosk-1", "kiosk")
    ticket = actions.issue(kiosk).get_json()
    actions.call_next(staff)
    assert actions.act(staff, ticket["id"], "no-show").get_json()["status"] == "no_show"
    back = actions.act(staff, ticket["id"], "undo-no-show")
    assert back.status_code == 200 and back.get_json()["status"] == "called"
    again = actions.act(staff, ticket["id"], "undo-no-show")
    assert again.status_code == 409
    assert actions.act(kiosk, ticket["id"], "undo-no-show").status_code == 403
    board = client.get("/api/v1/counters/hall/1/board", headers=actions.auth(staff)).get_json()
    assert board["current"]["id"] == ticket["id"]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    summary = paths["/api/v1/tickets/{ticket_id}/{action}"]["post"]["summary"]
    assert "undo-no-show" in summary
