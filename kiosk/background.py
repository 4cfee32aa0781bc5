"""Background work of a server process: housekeeping (expire yesterday's queue).

Threads here have no app context: each opens its own transaction through ``Services``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kiosk.domain import presence
from kiosk.domain.tickets import expire_stale
from kiosk.services import Services

log = logging.getLogger(__name__)
HOUSEKEEPING_EVERY_S = 300.0


class Housekeeper(threading.Thread):
    def __init__(self, core: Services, every_s: float = HOUSEKEEPING_EVERY_S) -> None:
        super().__init__(name="motcua-housekeeping", daemon=True)
        self.core = core
        self.every_s = every_s
        self.stopping = threading.Event()

    def run_once(self) -> int:
        with self.core.db.transaction() as s:
            closed = expire_stale(s, self.core.clock)
        if closed:
            log.info("closed %d tickets left from earlier days", closed)
        return closed

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.run_once()
            except Exception:  # keep going: the next round may succeed
                log.exception("housekeeping failed")
            self.stopping.wait(self.every_s)

    def stop(self) -> None:
        self.stopping.set()


class PresenceBeat(threading.Thread):
    """Every ``presence.HEARTBEAT_S``, tell the database which displays this process still
    serves (see ``kiosk.domain.presence``)."""

    def __init__(self, core: Services, tracker: presence.Presence) -> None:
        super().__init__(name="motcua-display-presence", daemon=True)
        self.core = core
        self.tracker = tracker
        self.stopping = threading.Event()

    def run_once(self) -> None:
        ids = self.tracker.connected()
        if ids:
            with self.core.db.transaction() as s:
                presence.mark(s, ids, self.core.clock.now(), connected=True)

    def run(self) -> None:
        while not self.stopping.wait(presence.HEARTBEAT_S):
            try:
                self.run_once()
            except Exception:
                log.exception("display presence heartbeat failed")

    def stop(self) -> None:
        self.stopping.set()


def start_background(app: Any) -> list[threading.Thread]:
    """Start the housekeeping and display-presence threads and one print worker per
    server-driven printer.
    ``MOTCUA_PRINT_WORKERS=0`` leaves printing to another process (several servers)."""
    from kiosk.printing import check_printers, server_printers
    from printer.worker import PrintWorker

    m = app.extensions["motcua"]
    core = m
    threads: list[threading.Thread] = [Housekeeper(core), PresenceBeat(core, m.presence)]
    if m.settings.print_workers:
        check_printers(m.config, m.settings)
        default_base = m.settings.public_url or "http://127.0.0.1:8000"
        workers = [
            PrintWorker(m, key, spec, publish=m.publisher.publish, default_base=default_base)
            for key, spec in server_printers(m.config, m.settings).items()
        ]

        def wake() -> None:
            for w in workers:
                w.wake.set()

        m.wake_printers = wake
        threads += workers
    for t in threads:
        t.start()
    m.realtime.start_sweeping()
    return threads
