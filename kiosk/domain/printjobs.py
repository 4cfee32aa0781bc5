"""The print queue: jobs stored with the ticket, claimed one at a time, retried with backoff.

Printing never blocks issuing: the ticket and its job commit together, a worker prints later.
A job is never lost: a claim left behind by a crashed worker goes back to the queue. A ticket's
``print_status`` says ``failed`` as soon as an attempt fails (the kiosk then shows the number on
screen) and ``printed`` if a retry later succeeds.

Each printer's row in ``printer_status`` keeps its last report (online, paper) and the outcome
of its last job (``last_job``): the alarms on ``/healthz`` and the console come from there. A
printer with neither is "unknown", never "failed".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from kiosk.domain.errors import NotFound
from kiosk.domain.events import PrintQueued, TicketChanged
from kiosk.domain.tickets import Actor, record
from kiosk.models import PrinterStatus, PrintJob, Ticket

RETRY_WINDOW = timedelta(seconds=90)  # a citizen waits at the kiosk for about this long
STALE_CLAIM = timedelta(seconds=60)
MAX_BACKOFF_S = 20


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    printer: str
    kind: str
    ticket_id: int | None
    payload: dict[str, Any]
    attempts: int


def enqueue(
    s: Session,
    printer: str,
    now: datetime,
    *,
    ticket_id: int | None = None,
    kind: str = "ticket",
    payload: dict[str, Any] | None = None,
) -> tuple[int, list[PrintQueued]]:
    """Queue a job for ``printer``; returns its id and the event that wakes the printer."""
    job = PrintJob(
        printer=printer,
        kind=kind,
        ticket_id=ticket_id,
        status="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        params=payload or {},
    )
    s.add(job)
    s.flush()
    return job.id, [PrintQueued(printer)]


def claim_next(
    s: Session, printers: set[str] | None, worker: str, now: datetime
) -> ClaimedJob | None:
    """Claim the oldest due job of ``printers`` (None: any printer) for ``worker``.

    The claim is a conditional UPDATE whose row count is checked, so two workers never print
    the same job; PostgreSQL skips rows another worker is claiming. A printer busy with a job
    (claimed by another worker, e.g. in another server process) gets no second one meanwhile:
    its jobs come out one at a time, in order."""
    due = or_(PrintJob.status == "queued", PrintJob.status == "printing")
    stale = now - STALE_CLAIM
    busy = aliased(PrintJob)
    printer_busy = exists().where(
        busy.printer == PrintJob.printer,
        busy.status == "printing",
        busy.claimed_at >= stale,
        busy.id != PrintJob.id,
    )
    candidate = (
        select(PrintJob.id)
        .where(due, PrintJob.next_attempt_at <= now, ~printer_busy)
        .where(or_(PrintJob.status == "queued", PrintJob.claimed_at < stale))
        .order_by(PrintJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if printers is not None:
        candidate = candidate.where(PrintJob.printer.in_(sorted(printers)))
    for _ in range(5):
        job_id = s.scalar(candidate)
        if job_id is None:
            return None
        claimed = s.execute(
            update(PrintJob)
            .where(PrintJob.id == job_id)
            .where(or_(PrintJob.status == "queued", PrintJob.claimed_at < stale))
            .values(
                status="printing", claimed_by=worker, claimed_at=now, attempts=PrintJob.attempts + 1
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            job = s.get(PrintJob, job_id, populate_existing=True)
            assert job is not None
            return ClaimedJob(
                job.id, job.printer, job.kind, job.ticket_id, job.params or {}, job.attempts
            )
    return None


def finish(
    s: Session,
    job_id: int,
    now: datetime,
    *,
    ok: bool,
    error: str | None = None,
    permanent: bool = False,
    sent: bytes | None = None,
) -> list[TicketChanged]:
    """Record a job's outcome. A transient failure is retried with backoff until the job's
    retry window closes; a permanent one (or the last) fails the job."""
    job = s.get(PrintJob, job_id, populate_existing=True)
    if job is None or job.status != "printing":
        return []  # finished already (a stale claim raced); nothing to do twice
    ticket = s.get(Ticket, job.ticket_id) if job.ticket_id else None
    events: list[TicketChanged] = []
    if ok:
        job.status, job.finished_at, job.last_error = "printed", now, None
        if sent is not None:
            job.payload = sent  # the exact bytes printed, for GET …/escpos
        if ticket is not None:
            _set_ticket(s, ticket, "printed", now, events, kind="printed", printer=job.printer)
        _record_outcome(s, job.printer, now, None)
        return events
    job.last_error = (error or "unknown error")[:500]
    _record_outcome(s, job.printer, now, job.last_error)
    retry = not permanent and now - job.created_at < RETRY_WINDOW
    if retry:
        job.status = "queued"
        job.next_attempt_at = now + timedelta(seconds=min(MAX_BACKOFF_S, 2**job.attempts))
    else:
        job.status, job.finished_at = "failed", now
    if ticket is not None and ticket.print_status != "failed":
        _set_ticket(
            s,
            ticket,
            "failed",
            now,
            events,
            kind="print_failed",
            printer=job.printer,
            error=job.last_error,
            permanent=permanent,
        )
    return events


def _set_ticket(
    s: Session,
    ticket: Ticket,
    status: str,
    now: datetime,
    events: list[TicketChanged],
    *,
    kind: str,
    **data: Any,
) -> None:
    ticket.print_status = status
    record(s, ticket, kind, now, Actor(), **data)
    events.append(TicketChanged(ticket.id, ticket.site, kind, ticket.status, ticket.counter))


def reprint(
    s: Session,
    ticket_id: int,
    printer: str,
    actor: Actor,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> tuple[Ticket, list[TicketChanged | PrintQueued]]:
    ticket = s.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"Không có phiếu số {ticket_id}.", what="ticket")
    _, queued = enqueue(s, printer, now, ticket_id=ticket.id, payload=payload)
    ticket.print_status = "queued"
    record(s, ticket, "reprint_requested", now, actor, printer=printer)
    changed = TicketChanged(ticket.id, ticket.site, "reprint", ticket.status, ticket.counter)
    return ticket, [changed, *queued]


def last_printed_bytes(s: Session, ticket_id: int) -> bytes | None:
    job = s.scalar(
        select(PrintJob)
        .where(PrintJob.ticket_id == ticket_id, PrintJob.status == "printed")
        .order_by(PrintJob.id.desc())
        .limit(1)
    )
    return job.payload if job is not None else None


def job_language(s: Session, ticket_id: int) -> str:
    """The language the ticket was printed in: that of its latest print job ("vi" if none)."""
    params = s.scalar(
        select(PrintJob.params)
        .where(PrintJob.ticket_id == ticket_id, PrintJob.kind == "ticket")
        .order_by(PrintJob.id.desc())
        .limit(1)
    )
    return "en" if (params or {}).get("lang") == "en" else "vi"


def _status_row(s: Session, printer: str) -> PrinterStatus | None:
    # Locked: a worker's job outcome and an agent's status report may arrive together.
    return s.scalar(select(PrinterStatus).where(PrinterStatus.printer == printer).with_for_update())


def report_status(s: Session, printer: str, now: datetime, status: dict[str, Any]) -> None:
    """Store a printer's self-reported state (keeping the outcome of its last job)."""
    row = _status_row(s, printer)
    if row is None:
        s.add(PrinterStatus(printer=printer, status=dict(status), seen_at=now))
        return
    kept = {k: v for k, v in (row.status or {}).items() if k == "last_job"}
    row.status, row.seen_at = {**status, **kept}, now


def _record_outcome(s: Session, printer: str, now: datetime, error: str | None) -> None:
    outcome = {"ok": error is None, "at": now.isoformat(), "error": error}
    row = _status_row(s, printer)
    if row is None:
        s.add(PrinterStatus(printer=printer, status={"last_job": outcome}, seen_at=now))
    else:
        row.status = {**(row.status or {}), "last_job": outcome}


def recent_jobs(s: Session, limit: int = 50) -> list[PrintJob]:
    """The newest print jobs, newest first (for the admin page)."""
    return list(s.scalars(select(PrintJob).order_by(PrintJob.id.desc()).limit(limit)))
