"""The print worker: prints one printer's jobs in order, one at a time, with retries.

One worker per printer the server drives itself (network, spool, file, …); printers on kiosk
PCs can be driven by ``motcua print-agent`` instead. It runs beside the web server with its own
transactions (no app context): a thread in a threaded server, a greenlet under gevent, where the
transports that block in C code (USB, serial, CUPS) do their device work in an OS thread (see
``printer.transports.blocking``). On stop it finishes the job in hand; a job left claimed by a
crash is claimed again after a minute.

A job is ``printed`` only when the transport returned: the printer took every byte (and
answered a status query, where it does). Any failure leaves the job to be retried, marks the
ticket's print as failed meanwhile and raises the printer alarm (``/healthz``, the console).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from kiosk.db import Database
from kiosk.domain import printjobs
from kiosk.domain.events import TicketChanged
from kiosk.printing.render import job_bytes
from kiosk.printing.slips import PrintContext
from printer.port import PrinterError
from printer.spec import PrinterSpec
from printer.transports import Transport, open_transport

log = logging.getLogger(__name__)
IDLE_POLL_S = 1.0
STATUS_EVERY_S = 30.0


class WorkerContext(PrintContext, Protocol):
    """What the worker needs from the application: the slip services and the database."""

    db: Database


class PrintWorker(threading.Thread):
    def __init__(
        self,
        app: WorkerContext,
        key: str | None,
        spec: PrinterSpec,
        *,
        publish: Callable[[Sequence[TicketChanged]], None],
        default_base: str | None,
        transport: Transport | None = None,
    ) -> None:
        super().__init__(name=f"motcua-print-{key or 'all'}", daemon=True)
        self.app = app
        self.key = key
        self.spec = spec
        self.publish = publish
        self.default_base = default_base
        self.transport = transport or open_transport(spec)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.worker_id = f"{os.getpid()}:{self.name}"
        self._next_status = 0.0

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database may be briefly away; never die
                log.exception("print worker %s failed", self.name)
                busy = False
            if not busy:
                self.wake.wait(IDLE_POLL_S)
                self.wake.clear()

    def run_once(self) -> bool:
        """Print one due job if there is one; return whether there was."""
        db, clock = self.app.db, self.app.clock
        keys = None if self.key is None else {self.key}
        with db.transaction() as s:
            job = printjobs.claim_next(s, keys, self.worker_id, clock.now())
        if job is None:
            self._report_status()
            return False
        ok, error, permanent, data = True, None, False, b""
        try:
            with db.read() as s:
                data = job_bytes(s, self.app, job, self.spec, self.default_base)
            self.transport.send(data)
        except PrinterError as exc:
            ok, error, permanent = False, str(exc), exc.permanent
        except ValueError as exc:
            ok, error, permanent = False, str(exc), True
        with db.transaction() as s:
            events = printjobs.finish(
                s,
                job.id,
                clock.now(),
                ok=ok,
                error=error,
                permanent=permanent,
                sent=data if ok else None,
            )
        if not ok:
            log.warning("print job %s on %s failed: %s", job.id, job.printer, error)
        self.publish(events)
        return True

    def _report_status(self) -> None:
        now = self.app.clock.now()
        if now.timestamp() < self._next_status:
            return
        self._next_status = now.timestamp() + STATUS_EVERY_S
        state = self.transport.status()
        with self.app.db.transaction() as s:
            printjobs.report_status(s, self.key or "*", now, state.as_dict())


def print_workers(
    app: WorkerContext, publish: Callable[[Sequence[TicketChanged]], None]
) -> list[PrintWorker]:
    """One (unstarted) worker per printer the server drives itself. Raises InvalidInput for a
    printer setting that cannot be parsed; warns when no public address is configured."""
    from kiosk.printing.routing import check_printers, server_printers

    check_printers(app.config, app.settings)
    return [
        PrintWorker(app, key, spec, publish=publish, default_base=app.settings.public_url)
        for key, spec in server_printers(app.config, app.settings).items()
    ]
