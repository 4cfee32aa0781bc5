"""Counter operations: call next, call a given ticket, pause and resume."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from kiosk.api import endpoint, schemas
from kiosk.api.present import ticket_body
from kiosk.auth import Caller
from kiosk.domain import calling
from kiosk.services import ctx


@endpoint(
    "/counters/<site>/<int:counter>/call-next",
    "POST",
    summary="Close the counter's current ticket as done, then call the next one "
    "(204 when nothing waits)",
    who=("staff",),
    response=schemas.TicketOut,
    errors=(401, 403, 404),
)
def call_next(caller: Caller, site: str, counter: int) -> Any:
    app = ctx()
    with app.db.transaction() as s:
        ticket, events = calling.call_next(s, app.config, app.clock, caller.actor(), site, counter)
        out = ticket_body(s, app, ticket) if ticket is not None else None
    app.publisher.publish(events)
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
    with app.db.transaction() as s:
        ticket, events = calling.call_ticket(
            s, app.config, app.clock, caller.actor(), site, counter, body.ticket
        )
        out = ticket_body(s, app, ticket)
    app.publisher.publish(events)
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
    with app.db.transaction() as s:
        row, events = calling.pause_counter(
            s, app.config, app.clock, caller.actor(), site, counter, body.reason
        )
        out = {"number": row.number, "status": row.status, "pause_reason": row.pause_reason}
    app.publisher.publish(events)
    return jsonify(out)
