"""Counter operations: call next, call a given ticket, pause and resume."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from kiosk.api import endpoint, parse_body, schemas
from kiosk.api.present import ticket_body
from kiosk.auth import Caller
from kiosk.domain import calling, counters
from kiosk.services import ctx


@endpoint(
    "/counters/<site>/<int:counter>/call-next",
    "POST",
    summary="Close the counter's current ticket as done, then call the next one "
    '(204 when nothing waits). Optional body {"current": id or null}: the ticket the caller '
    "shows as current; if the counter's active ticket is another (a retried request whose "
    "answer was lost, a stale screen), that ticket is returned unchanged and nothing is closed",
    who=("staff",),
    response=schemas.TicketOut,
    errors=(401, 403, 404, 422),
)
def call_next(caller: Caller, site: str, counter: int) -> Any:
    app = ctx()
    expected = calling.ANY_CURRENT
    if request.content_length:
        expected = parse_body(schemas.CallNextIn).current  # type: ignore[attr-defined]
    with app.change() as tx:
        ticket = tx.take(
            calling.call_next(
                tx.s, app.config, app.clock, caller.actor(), site, counter, expected=expected
            )
        )
        out = ticket_body(tx.s, app, ticket) if ticket is not None else None
    return jsonify(out) if out is not None else Response(status=204)


@endpoint(
    "/counters/<site>/<int:counter>/call",
    "POST",
    summary="Call a given waiting ticket out of turn (recorded in the audit log)",
    who=("staff",),
    body=schemas.CallTicketIn,
    response=schemas.TicketOut,
    errors=(401, 403, 404, 409, 422),
)
def call_ticket(caller: Caller, site: str, counter: int, body: schemas.CallTicketIn) -> Any:
    app = ctx()
    with app.change() as tx:
        ticket = tx.take(
            calling.call_ticket(
                tx.s, app.config, app.clock, caller.actor(), site, counter, body.ticket
            )
        )
        out = ticket_body(tx.s, app, ticket)
    return jsonify(out)


@endpoint(
    "/counters/<site>/<int:counter>/pause",
    "POST",
    summary="Pause the counter with a reason; reason null resumes it",
    who=("staff",),
    body=schemas.PauseIn,
    errors=(401, 403, 404, 422),
)
def pause(caller: Caller, site: str, counter: int, body: schemas.PauseIn) -> Any:
    app = ctx()
    with app.change() as tx:
        row = tx.take(
            counters.pause_counter(
                tx.s, app.config, app.clock, caller.actor(), site, counter, body.reason
            )
        )
        out = {"number": row.number, "status": row.status, "pause_reason": row.pause_reason}
    return jsonify(out)
