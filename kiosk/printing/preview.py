"""Print jobs as an admin sees them: the newest first, each drawn from the bytes the printer got
(or, before it printed, from what it would print now)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain.errors import NotFound
from kiosk.models import PrintJob, Ticket
from kiosk.printing.render import job_png
from kiosk.printing.routing import printer_key
from kiosk.printing.slips import PrintContext

PAGE = 24
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class JobRow:
    id: int
    printer: str
    kind: str
    number: str | None  # the ticket's number, for ticket jobs
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


def _printers_of(app: PrintContext, site: str | None) -> set[str] | None:
    """The printer keys of ``site``'s kiosks (None: every printer, for an admin of all sites)."""
    if site is None:
        return None
    found = app.config.site(site)
    kiosks = found.kiosks if found is not None else ()
    return {k for k in (printer_key(app.config, app.settings, x.name) for x in kiosks) if k}


def _job_id(text: str | None) -> int | None:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def recent_print_jobs(
    s: Session, app: PrintContext, site: str | None, before: str | None = None
) -> list[JobRow]:
    """Up to `PAGE` jobs, newest first, older than job ``before`` if given (a bad value is
    ignored); only those of ``site``'s printers for an admin limited to a site."""
    query = (
        select(PrintJob, Ticket.number)
        .outerjoin(Ticket, Ticket.id == PrintJob.ticket_id)
        .order_by(PrintJob.id.desc())
        .limit(PAGE)
    )
    older = _job_id(before)
    if older is not None:
        query = query.where(PrintJob.id < older)
    printers = _printers_of(app, site)
    if printers is not None:
        query = query.where(PrintJob.printer.in_(sorted(printers)))
    return [
        JobRow(
            job.id,
            job.printer,
            job.kind,
            number,
            job.status,
            job.attempts,
            job.last_error,
            job.created_at,
            job.finished_at,
        )
        for job, number in s.execute(query).all()
    ]


def print_job_picture(
    s: Session, app: PrintContext, site: str | None, job_id: str
) -> tuple[bytes, bool]:
    """A job as a PNG picture, and whether it is final (printed, so its bytes never change).
    Raises NotFound for a job that does not exist, belongs to another site or cannot be drawn."""
    key = _job_id(job_id)
    job = s.get(PrintJob, key) if key is not None else None
    printers = _printers_of(app, site)
    if job is None or (printers is not None and job.printer not in printers):
        raise NotFound(f"Không có lệnh in {job_id}.", en=f"No print job {job_id}.")
    try:
        return job_png(s, app, job), job.status == "printed"
    except ValueError as exc:  # its ticket is gone, or bytes we cannot decode
        raise NotFound(
            f"Không vẽ được lệnh in {key}: {exc}", en=f"Cannot draw job {key}."
        ) from None
