"""``motcua print-agent``: runs on a kiosk PC, holds its USB/serial printer, prints that
printer's jobs from the server.

It long-polls ``GET /api/v1/print-jobs/next``, prints each job, reports the outcome, and
reports the printer's state now and then. Network trouble or a server restart only makes it
wait and try again (with backoff); SIGTERM lets it finish the job in hand, then it exits.
Needs only the standard library on top of python-escpos.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from printer.port import PrinterError
from printer.spec import parse_printer_uri
from printer.transports import Transport, open_transport

log = logging.getLogger("motcua.print-agent")
LONG_POLL_S = 20
STATUS_EVERY_S = 30
MAX_BACKOFF_S = 30


class Agent:
    def __init__(self, server: str, token: str, transport: Transport) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.transport = transport
        self.stopping = threading.Event()
        self.printed = 0
        self._next_status = 0.0

    def _call(
        self, method: str, path: str, body: Any = None, timeout: float = LONG_POLL_S + 10
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.server + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "User-Agent": "motcua-print-agent",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:200]
            exc.close()
            return exc.code, detail

    def run(self, max_jobs: int | None = None) -> int:
        backoff = 1.0
        while not self.stopping.is_set():
            if max_jobs is not None and self.printed >= max_jobs:
                return 0
            try:
                self._maybe_report_status()
                status, job = self._call("GET", f"/api/v1/print-jobs/next?wait={LONG_POLL_S}")
                if status in (401, 403):
                    log.error("the server refused this agent's token (%s): %s", status, job)
                    return 2
                if status == 200:
                    self._print(job)
                elif status != 204:
                    raise OSError(f"unexpected answer {status}")
                backoff = 1.0
            except (OSError, ValueError) as exc:  # server away, network cut, bad answer
                log.warning("server unreachable (%s); retrying in %.0f s", exc, backoff)
                self.stopping.wait(backoff)
                backoff = min(MAX_BACKOFF_S, backoff * 2)
        return 0

    def _print(self, job: dict[str, Any]) -> None:
        data = base64.b64decode(job["data"])
        result: dict[str, Any] = {"ok": True}
        try:
            self.transport.send(data)
            self.printed += 1
        except PrinterError as exc:
            result = {"ok": False, "error": str(exc)[:500], "permanent": exc.permanent}
            log.warning("job %s failed: %s", job["id"], exc)
        # Report even while stopping: the job in hand is finished, then we exit.
        for attempt in range(5):
            try:
                self._call("POST", f"/api/v1/print-jobs/{job['id']}/result", result, timeout=10)
                return
            except OSError:
                time.sleep(min(5, 2**attempt))
        log.error("could not report job %s; the server will offer it again", job["id"])

    def _maybe_report_status(self) -> None:
        now = time.monotonic()
        if now < self._next_status:
            return
        self._next_status = now + STATUS_EVERY_S
        state = self.transport.status()
        body = {
            "online": state.online,
            "paper": state.paper,
            "detail": state.detail[:300] if state.detail else None,
        }
        self._call("POST", "/api/v1/printers/status", body, timeout=10)


def run_agent(server: str, token: str, printer: str | None) -> int:
    """Entry point of ``motcua print-agent``. ``printer`` (or ``MOTCUA_AGENT_PRINTER``) is the
    local printer's URI, e.g. ``usb:0x0416:0x5011``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    uri = printer or os.environ.get("MOTCUA_AGENT_PRINTER")
    if not uri:
        print(
            "motcua: error: give the local printer with --printer URI (or MOTCUA_AGENT_PRINTER)",
            file=sys.stderr,
        )
        return 2
    if not server.startswith(("http://", "https://")):
        print(
            f"motcua: error: --server {server!r} must be an http:// or https:// URL",
            file=sys.stderr,
        )
        return 2
    try:
        transport = open_transport(parse_printer_uri(uri))
    except (ValueError, PrinterError) as exc:
        print(f"motcua: error: {exc}", file=sys.stderr)
        return 2
    agent = Agent(server, token, transport)
    signal.signal(signal.SIGTERM, lambda *_: agent.stopping.set())
    log.info("print agent for %s started, printing to %s", server, uri)
    return agent.run()
