"""``/healthz``: the state of the database, the message queue and the printers."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import func, select, text

from kiosk.diskfull import writable
from kiosk.domain.clock import local
from kiosk.domain.presence import display_health
from kiosk.models import PrinterStatus, PrintJob
from kiosk.printing import printer_keys
from kiosk.printing.slips import public_url_problem
from kiosk.services import ctx

RECENT = timedelta(minutes=15)
STUCK = timedelta(minutes=2)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    app = ctx()
    database = _database(app)
    queue = _message_queue(app.settings.message_queue)
    readable = database["ok"] or database.get("writable") is False
    printers = _printers(app) if readable else []
    ok = database["ok"] and queue["ok"] and all(p["ok"] for p in printers)
    status = "ok" if ok else ("down" if not database["ok"] else "degraded")
    body = {"status": status, "database": database, "message_queue": queue, "printers": printers}
    # Displays are reported for the console's alarms but leave `status` alone: a hall runs on
    # without its screen, and one not yet set up must not mark the server degraded.
    body["displays"] = _displays(app) if readable else []
    # Likewise a missing public address: tickets then print without a tracking QR code.
    problem = public_url_problem(app.settings.public_url)
    body["public_url"] = {"ok": problem is None, "url": app.settings.public_url, "detail": problem}
    # Which server process answered (``motcua serve --workers N`` runs several).
    body["process"] = os.getpid()
    return jsonify(body), 503 if status == "down" else 200


def _database(app: Any) -> dict[str, Any]:
    try:
        with app.db.read() as s:
            s.execute(text("SELECT 1"))
    except Exception as exc:  # report, never raise
        return {"ok": False, "dialect": app.db.engine.dialect.name, "error": type(exc).__name__}
    # Readable but not writable (a full disk): tickets cannot be issued, so not ok.
    found = writable(app.db)
    return {"ok": found["writable"], "dialect": app.db.engine.dialect.name, **found}


def _displays(app: Any) -> list[dict[str, Any]]:
    try:
        with app.db.read() as s:
            found = display_health(s, app.config, app.clock.now())
    except Exception:  # report, never raise (e.g. a database not yet upgraded)
        return []
    for d in found:
        d["seen_at"] = local(app.clock, d["seen_at"]).isoformat() if d["seen_at"] else None
    return found


def _message_queue(url: str | None) -> dict[str, Any]:
    if not url:
        return {"ok": True, "kind": "none (single process)"}
    try:
        import redis

        redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
        return {"ok": True, "kind": "redis"}
    except Exception as exc:
        return {"ok": False, "kind": "redis", "error": type(exc).__name__}


def _printers(app: Any) -> list[dict[str, Any]]:
    """One entry per printer: its state, recent failures, jobs stuck in the queue, the last
    status report (offline, paper out) and the outcome of its last job.

    ``state`` is "unknown" for a printer that has neither printed nor reported yet (a fresh
    installation is not an alarm), "failing" once its last job failed (until one prints),
    "offline" or "paper_out" from its own report, else "ok".
    """
    now = app.clock.now()
    names = printer_keys(app.config, app.settings)
    with app.db.read() as s:
        failed = dict(
            s.execute(
                select(PrintJob.printer, func.count())
                .where(PrintJob.status == "failed", PrintJob.finished_at > now - RECENT)
                .group_by(PrintJob.printer)
            ).all()
        )
        stuck = dict(
            s.execute(
                select(PrintJob.printer, func.count())
                .where(
                    PrintJob.status.in_(("queued", "printing")), PrintJob.created_at < now - STUCK
                )
                .group_by(PrintJob.printer)
            ).all()
        )
        queued = dict(
            s.execute(
                select(PrintJob.printer, func.count())
                .where(PrintJob.status.in_(("queued", "printing")))
                .group_by(PrintJob.printer)
            ).all()
        )
        reports = {r.printer: r for r in s.scalars(select(PrinterStatus))}
    shared = reports.get("*")  # the one worker of MOTCUA_PRINTER reports for every printer
    out = []
    for name in sorted(n for n in names | set(failed) | set(stuck) if n and n != "*"):
        own = reports.get(name)
        state = {**(shared.status if shared else {}), **(own.status if own else {})}
        seen = max((r.seen_at for r in (own, shared) if r is not None), default=None)
        last_job = state.get("last_job") or {}
        problems = []
        if last_job.get("ok") is False:
            problems.append("failing")
        if failed.get(name):
            problems.append("recent_failures")
        if stuck.get(name):
            problems.append("jobs_waiting")
        if state.get("online") is False:
            problems.append("offline")
        if state.get("paper") in ("out", "empty"):
            problems.append("paper_out")
        if not problems:
            label = "ok" if last_job.get("ok") or state.get("online") is True else "unknown"
        elif {"failing", "recent_failures", "jobs_waiting"} & set(problems):
            label = "failing"
        else:
            label = problems[0]  # offline or paper_out
        out.append(
            {
                "name": name,
                "ok": not problems,
                "state": label,
                "problems": problems,
                "queued": queued.get(name, 0),
                "failed_recently": failed.get(name, 0),
                "paper": state.get("paper"),
                "last_error": last_job.get("error"),
                "last_seen": local(app.clock, seen).isoformat() if seen else None,
            }
        )
    return out
