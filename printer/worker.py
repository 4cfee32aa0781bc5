"""The print worker: prints one printer's jobs in order, one at a time, with retries.

One worker per printer the server drives itself (network, spool, file, …); USB and serial
printers on kiosk PCs are driven by ``motcua print-agent`` instead. Runs as a thread of the
server process with its own transactions (no app context). On stop it finishes the job in
hand; a job left claimed by a crash is claimed again after a minute.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from kiosk.domain import printjobs
from printer.jobs import job_bytes
from printer.spec import PrinterSpec
from printer.transports import PrinterError, Transport, open_transport

log = logging.getLogger(__name__)
IDLE_POLL_S = 1.0
STATUS_EVERY_S = 30.0


class PrintWorker(threading.Thread):
    def __init__(
        self,
        app: Any,
        key: str | None,
        spec: PrinterSpec,
        *,
        publish: Callable[[list[Any]], None],
        default_base: str,
        transport: Transport | None = None,
    ) -> None:
        super().__init__(name=f"motcua-print-{key or 'all'}", daemon=True)
        self.app = app  # config, clock, estimator, db
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
        try:
            status = self.transport.status()
        except Exception as exc:  # advisory only
            status = {"error": type(exc).__name__}
        with self.app.db.transaction() as s:
            printjobs.report_status(s, self.key or "*", now, status)
