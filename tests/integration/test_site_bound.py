"""Users created with ``--site`` act only at that site: every staff endpoint of API v1, fed a
ticket, counter, display or kiosk of another site, answers 403 (or 404 for what that user may
not even see) and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.api import ENDPOINTS
from tests.conftest import Actions

# A valid body for each staff endpoint that takes one: the refusal must come from the site
# rule, not from a malformed request.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/tickets"): {"site": "annex", "service": "help"},
    ("POST", "/counters/{site}/{counter}/call"): {"ticket": "{ticket_id}"},
    ("POST", "/counters/{site}/{counter}/pause"): {"reason": "lunch"},
    ("POST", "/counters/{site}/{counter}/services"): {"services": ["help"]},
    ("POST", "/tickets/{ticket_id}/priority"): {"group": "elderly", "reason": "x"},
    ("POST", "/tickets/{ticket_id}/reprint"): {},
    ("POST", "/tickets/{ticket_id}/{action}"): {"service": "help"},
    ("POST", "/sites/{site}/services"): {"code": "land", "prefix": "L", "name": "Đất đai"},
    ("PATCH", "/sites/{site}/services/{service}"): {"name": "Hỗ trợ"},
    ("POST", "/sites/{site}/counters"): {"number": 5, "name": "Bàn 5", "services": ["help"]},
    ("PATCH", "/sites/{site}/counters/{counter}"): {"name": "Bàn 1"},
}
ACTIONS = ("recall", "start", "done", "no-show", "requeue", "hold", "transfer", "resume", "cancel")


# Staff endpoints that name no site: they answer with the caller's own site only.
SITELESS = {("GET", "/audit")}


def staff_endpoints() -> list[Any]:
    return [e for e in ENDPOINTS if "staff" in e.who and (e.method, e.path) not in SITELESS]


@pytest.fixture
def annex_ticket(actions: Actions, app: Any) -> dict[str, Any]:
    """A waiting ticket at the annex, issued by a user of every site."""
    everywhere = actions.user("chief", "admin")
    made = actions.issue(everywhere, service="help", site="annex")
    assert made.status_code == 201, made.get_json()
    return dict(made.get_json())


def count_tickets(app: Any) -> int:
    from sqlalchemy import func, select

    from kiosk.models import Ticket

    m = app.extensions["motcua"]
    with m.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Ticket)) or 0)


@pytest.mark.parametrize("priority", [None, "elderly"])
@pytest.mark.parametrize("role", ["staff", "supervisor", "admin"])
def test_hall_user_cannot_issue_at_another_site(
    actions: Actions, app: Any, role: str, priority: str | None
) -> None:
    token = actions.user("hallone", role, site="hall")
    before = count_tickets(app)
    refused = actions.issue(token, service="help", site="annex", priority=priority)
    assert refused.status_code == 403, refused.get_json()
    assert refused.get_json()["error"]["code"] == "forbidden"
    assert count_tickets(app) == before
    # At their own site it works, priority included.
    ok = actions.issue(token, service="cert", site="hall", priority=priority)
    assert ok.status_code == 201
    assert ok.get_json()["priority"] == priority


def test_every_staff_endpoint_has_a_body_here() -> None:
    """A new staff endpoint must be added to BODIES (or be body-less) to be checked below."""
    missing = [
        (e.method, e.path)
        for e in staff_endpoints()
        if e.body is not None and (e.method, e.path) not in BODIES
    ]
    assert not missing


@pytest.mark.parametrize("role", ["staff", "supervisor", "admin"])
def test_every_staff_endpoint_refuses_another_site(
    client: Any, actions: Actions, app: Any, annex_ticket: dict[str, Any], role: str
) -> None:
    token = actions.user("hallone", role, site="hall")
    values = {"site": "annex", "counter": "1", "display": "2", "ticket_id": annex_ticket["id"]}
    values["number"] = annex_ticket["number"]
    values["service"] = "help"
    tried = 0
    for e in staff_endpoints():
        for action in ACTIONS if "{action}" in e.path else (None,):
            path = e.path.format(**values, action=action)
            if "site" in e.query:  # the site named in the query (reports)
                path += "?site=annex&from=2026-11-25&to=2026-11-25"
            body = BODIES.get((e.method, e.path))
            if isinstance(body, dict):
                body = {
                    k: (annex_ticket["id"] if v == "{ticket_id}" else v) for k, v in body.items()
                }
            resp = client.open(
                f"/api/v1{path}", method=e.method, json=body, headers=actions.auth(token)
            )
            tried += 1
            assert resp.status_code in (403, 404), (e.method, path, resp.status_code, resp.text)
    assert tried >= 15
    # Nothing moved at the annex.
    with app.extensions["motcua"].db.read() as s:
        from kiosk.models import Ticket

        ticket = s.get(Ticket, annex_ticket["id"])
        assert ticket is not None and ticket.status == "waiting" and ticket.priority is None
    assert count_tickets(app) == 1


def test_hall_supervisor_cannot_reprint_on_another_sites_kiosk(actions: Actions, app: Any) -> None:
    boss = actions.user("boss", "supervisor", site="hall")
    ticket = actions.issue(boss).get_json()
    resp = actions.client.post(
        f"/api/v1/tickets/{ticket['id']}/reprint",
        json={"kiosk": "annex-kiosk"},
        headers=actions.auth(boss),
    )
    assert resp.status_code == 403
