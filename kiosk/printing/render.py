"""Print jobs and tickets to bytes and pictures: what the worker sends, what ``GET …/escpos``
and ``…/preview.png`` answer, and what the admin page shows."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image
from sqlalchemy.orm import Session

from kiosk.domain.printjobs import ClaimedJob, job_language, last_printed_bytes
from kiosk.models import Device, PrintJob, Ticket
from kiosk.printing.routing import DEFAULT_RENDER, printer_key, printer_uri, spec_for
from kiosk.printing.slips import PrintContext, document_slip, language_of, ticket_slip
from printer.decode import decode, to_image
from printer.escpos_bytes import paper_width_px, render_escpos, render_preview
from printer.spec import PrinterSpec


def job_bytes(
    s: Session, app: PrintContext, job: ClaimedJob, spec: PrinterSpec, default_base: str | None
) -> bytes:
    """Render a claimed job for ``spec``. Raises ValueError for a job that cannot be rendered
    (a permanent failure)."""
    return _render(s, app, job.id, job.kind, job.ticket_id, job.payload, spec, default_base)


def _render(
    s: Session,
    app: PrintContext,
    job_id: int,
    kind: str,
    ticket_id: int | None,
    params: dict[str, Any],
    spec: PrinterSpec,
    default_base: str | None,
) -> bytes:
    if kind == "ticket":
        ticket = s.get(Ticket, ticket_id) if ticket_id else None
        if ticket is None:
            raise ValueError(f"print job {job_id}: its ticket is gone")
        base = params.get("base_url") or default_base
        slip = ticket_slip(s, app, ticket, base, language_of(params))
        return render_escpos(slip, spec)
    if kind == "document":
        return render_escpos(document_slip(params, app), spec)
    raise ValueError(f"print job {job_id}: unknown kind {kind!r}")


def render_spec(s: Session, app: PrintContext, ticket: Ticket) -> PrinterSpec:
    """How the ticket's kiosk printer encodes (a 80 mm TM-T20II when it has none)."""
    device = s.get(Device, ticket.kiosk_device_id) if ticket.kiosk_device_id else None
    key = printer_key(app.config, app.settings, device.name) if device is not None else None
    uri = printer_uri(app.config, app.settings, key) if key else DEFAULT_RENDER
    return spec_for(uri, app.settings.instance)


def ticket_bytes(s: Session, app: PrintContext, ticket: Ticket, base_url: str | None) -> bytes:
    """The bytes the ticket was printed with, or would be printed with now."""
    printed = last_printed_bytes(s, ticket.id)
    if printed is not None:
        return printed
    slip = ticket_slip(s, app, ticket, base_url, job_language(s, ticket.id))
    return render_escpos(slip, render_spec(s, app, ticket))


def ticket_png(s: Session, app: PrintContext, ticket: Ticket, base_url: str | None) -> bytes:
    """The ticket as printed now, as a PNG picture."""
    slip = ticket_slip(s, app, ticket, base_url, job_language(s, ticket.id))
    return png(render_preview(slip, render_spec(s, app, ticket)))


def job_png(s: Session, app: PrintContext, job: PrintJob) -> bytes:
    """A print job as a PNG picture: the bytes that went to the printer, decoded; for a job
    not printed yet, what it would print now. Raises ValueError for a job that cannot be
    rendered or decoded."""
    spec = spec_for(printer_uri(app.config, app.settings, job.printer), app.settings.instance)
    data = job.payload
    if data is None:
        data = _render(s, app, job.id, job.kind, job.ticket_id, job.params or {}, spec, None)
    try:
        width = paper_width_px(spec)
    except ValueError:
        width = None
    return png(to_image(decode(data), width))


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
