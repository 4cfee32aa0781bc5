"""Printing: reprint a ticket (staff), and the endpoints a print agent on a kiosk PC uses to
fetch its jobs (long poll), report each outcome and the printer's state."""

from __future__ import annotations

import base64
import time
from typing import Annotated, Any

from flask import Response, jsonify, request
from pydantic import StringConstraints

from kiosk.api import endpoint, schemas
from kiosk.api.present import base_url, ticket_body
from kiosk.api.tickets import readable_ticket
from kiosk.auth import Caller
from kiosk.domain import printjobs
from kiosk.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from kiosk.models import Device, PrintJob
from kiosk.printing import printer_key, printer_uri, spec_for
from kiosk.printing.render import job_bytes
from kiosk.services import ctx

MAX_WAIT_S = 25
POLL_S = 0.5


class ReprintIn(schemas.In):
    kiosk: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class JobResultIn(schemas.In):
    ok: bool
    error: Annotated[str, StringConstraints(max_length=500)] | None = None
    permanent: bool = False


class PrinterStatusIn(schemas.In):
    online: bool | None = None
    paper: Annotated[str, StringConstraints(max_length=32)] | None = None
    detail: Annotated[str, StringConstraints(max_length=300)] | None = None


@endpoint(
    "/tickets/<int:ticket_id>/reprint",
    "POST",
    summary="Print a ticket again",
    who=("staff",),
    body=ReprintIn,
    response=schemas.TicketOut,
    errors=(401, 403, 404, 409),
)
def reprint(caller: Caller, ticket_id: int, body: ReprintIn) -> Any:
    app = ctx()
    with app.change() as tx:
        s = tx.s
        ticket = readable_ticket(s, caller, ticket_id)
        name = body.kiosk
        site = app.config.site(ticket.site)
        if name is not None and (site is None or all(k.name != name for k in site.kiosks)):
            # A ticket prints at its own site only (and a site-bound user acts there only).
            raise Forbidden(
                "Máy in thuộc điểm tiếp nhận khác.", en="A kiosk of another site.", field="kiosk"
            )
        if name is None and ticket.kiosk_device_id is not None:
            device = s.get(Device, ticket.kiosk_device_id)
            name = device.name if device is not None else None
        key = printer_key(app.config, app.settings, name) if name else None
        if key is None:
            raise Conflict("Không có máy in nào cho phiếu này.", en="No printer for this ticket.")
        params = {"base_url": base_url(app), "lang": printjobs.job_language(s, ticket.id)}
        ticket = tx.take(
            printjobs.reprint(s, ticket.id, key, caller.actor(), app.clock.now(), params)
        )
        out = ticket_body(s, app, ticket)
    return jsonify(out)


@endpoint(
    "/print-jobs/next",
    "GET",
    summary="Print agent: wait for this printer's next job (204 after `wait` seconds with none)",
    who=("printer",),
    query=("wait",),
    errors=(401, 403),
)
def next_job(caller: Caller) -> Any:
    app = ctx()
    try:
        wait = min(MAX_WAIT_S, max(0.0, float(request.args.get("wait", "0"))))
    except ValueError:
        raise InvalidInput(
            "'wait' phải là số giây.", en="'wait' must be seconds.", field="wait"
        ) from None
    key = caller.device.name  # type: ignore[union-attr]
    spec = spec_for(printer_uri(app.config, app.settings, key), app.settings.instance)
    deadline = time.monotonic() + wait
    while True:
        with app.change() as tx:
            s = tx.s
            job = printjobs.claim_next(s, {key}, f"agent:{key}", app.clock.now())
            if job is not None:
                try:
                    data = job_bytes(s, app, job, spec, app.settings.public_url)
                except ValueError as exc:  # a job that can never print: failed, and the next
                    tx.add(
                        printjobs.finish(
                            s, job.id, app.clock.now(), ok=False, error=str(exc), permanent=True
                        )
                    )
                    job, data = None, b""
                else:
                    row = s.get(PrintJob, job.id)
                    assert row is not None
                    row.payload = data  # kept: these are the bytes the agent prints
        if job is not None:
            return jsonify(
                {
                    "id": job.id,
                    "kind": job.kind,
                    "ticket_id": job.ticket_id,
                    "attempt": job.attempts,
                    "data": base64.b64encode(data).decode(),
                }
            )
        if time.monotonic() >= deadline:
            return Response(status=204)
        time.sleep(POLL_S)


@endpoint(
    "/print-jobs/<int:job_id>/result",
    "POST",
    summary="Print agent: the outcome of a job",
    who=("printer",),
    body=JobResultIn,
    errors=(401, 403, 404, 422),
)
def job_result(caller: Caller, job_id: int, body: JobResultIn) -> Any:
    app = ctx()
    with app.change() as tx:
        s = tx.s
        job = s.get(PrintJob, job_id)
        if job is None:
            raise NotFound(f"Không có lệnh in {job_id}.", en=f"No print job {job_id}.")
        if job.printer != caller.device.name:  # type: ignore[union-attr]
            raise Forbidden("Lệnh in của máy in khác.", en="A job of another printer.")
        tx.add(
            printjobs.finish(
                s, job_id, app.clock.now(), ok=body.ok, error=body.error, permanent=body.permanent
            )
        )
        status = job.status
    return jsonify({"id": job_id, "status": status})


@endpoint(
    "/printers/status",
    "POST",
    summary="Print agent: report the printer's state",
    who=("printer",),
    body=PrinterStatusIn,
    errors=(401, 403, 422),
)
def printer_status(caller: Caller, body: PrinterStatusIn) -> Any:
    app = ctx()
    with app.db.transaction() as s:
        printjobs.report_status(
            s,
            caller.device.name,
            app.clock.now(),  # type: ignore[union-attr]
            body.model_dump(),
        )
    return jsonify({"ok": True})
