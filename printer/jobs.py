"""Turning a claimed print job into ESC/POS bytes (shared by the server's worker and the API
that feeds print agents)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kiosk.domain.printjobs import ClaimedJob
from kiosk.models import Ticket
from printer.escpos_bytes import render_escpos
from printer.layout import DocumentSlip
from printer.spec import PrinterSpec

DOCUMENT_FIELDS = (
    "title",
    "subtitle",
    "paragraphs",
    "bullets",
    "notes",
    "header_lines",
    "qr_url",
    "qr_caption",
    "footer",
)


def job_bytes(s: Session, app: Any, job: ClaimedJob, spec: PrinterSpec, default_base: str) -> bytes:
    """Render ``job`` for ``spec``. ``app`` carries config, clock and estimator.
    Raises ValueError for a job that cannot be rendered (a permanent failure)."""
    from kiosk.printing import ticket_slip

    if job.kind == "ticket":
        ticket = s.get(Ticket, job.ticket_id) if job.ticket_id else None
        if ticket is None:
            raise ValueError(f"print job {job.id}: its ticket is gone")
        base = job.payload.get("base_url") or default_base
        return render_escpos(
            ticket_slip(s, app.config, app.clock, app.estimator, ticket, base), spec
        )
    if job.kind == "document":
        fields = {k: job.payload[k] for k in DOCUMENT_FIELDS if k in job.payload}
        for k in ("paragraphs", "bullets", "notes", "header_lines"):
            if k in fields:
                fields[k] = tuple(fields[k])
        from kiosk.domain.clock import local

        return render_escpos(DocumentSlip(printed_at=local(app.clock), **fields), spec)
    raise ValueError(f"print job {job.id}: unknown kind {job.kind!r}")
