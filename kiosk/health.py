"""``/healthz``: the state of the database, the message queue and the printers."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import func, select, text

from kiosk.domain.clock import local
from kiosk.domain.presence import display_health
from kiosk.models import PrinterStatus, PrintJob
from kiosk.printing import printer_key
from kiosk.services import ctx

RECENT = timedelta(minutes=15)
STUCK = timedelta(minutes=2)

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    app = ctx()
    database = _database(app)
    queue = _message_queue(app.settings.message_queue)
    printers = _printers(app) if database["ok"] else []
    ok = database["ok"] and queue["ok"] and all(p["ok"] for p in printers)
    status = "ok" if ok else ("down" if not database["ok"] else "degraded")
    body = {"status": status, "database": database, "message_queue": queue, "printers": printers}
    # Displays are reported for the console's alarms but leave `status` alone: a hall runs on
    # without its screen, and one not yet set up must not mark the server degraded.
    body["displays"] = _displays(app) if database["ok"] else []
    # Which server process answered (``motcua serve --workers N`` runs several).
    body["process"] = os.getpid()
    return jsonify(body), 503 if status == "down" else 200


def _database(app: Any) -> dict[str, Any]:
    try:
        with app.db.read() as s:
            s.execute(text("SELECT 1"))
        return {"ok": True, "dialect": app.db.engine.dialect.name}
    except Exception as exc:  # report, never raise
        return {"ok": False, "dialect": app.db.engine.dialect.name, "error": type(exc).__name__}


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
    """One entry per printer: recent failures, jobs stuck in the queue, the last status report
    (offline, paper out) and, for print agents, whether they were seen lately."""
    now = app.clock.now()
    names = {
        printer_key(app.config, app.settings, k.name)
        for site in app.config.sites
        for k in site.kiosks
        if k.printer != "none"
    }
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
    out = []
    for name in sorted(n for n in names | set(failed) | set(stuck) if n):
        report = reports.get(name) or reports.get("*")
        state = report.status if report else {}
        problems = []
        if failed.get(name):
            problems.append("recent_failures")
        if stuck.get(name):
            problems.append("jobs_waiting")
        if state.get("online") is False:
            problems.append("offline")
        if state.get("paper") in ("out", "empty"):
            problems.append("paper_out")
        out.append(
            {
                "name": name,
                "ok": not problems,
                "problems": problems,
                "queued": queued.get(name, 0),
                "failed_recently": failed.get(name, 0),
                "paper": state.get("paper"),
                "last_seen": local(app.clock, report.seen_at).isoformat() if report else None,
            }
        )
    return out
