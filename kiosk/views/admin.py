"""``/admin`` for admins: the audit log (audit table and ticket histories, filtered, CSV), users
(disable one at once) and enrolled devices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from kiosk.domain import access, auditlog
from kiosk.domain.clock import local
from kiosk.services import ctx
from kiosk.views.accounts import staff_page

bp = Blueprint("admin", __name__)


def _filters() -> auditlog.Filters:
    args = request.args

    def text(name: str) -> str | None:
        return (args.get(name) or "").strip()[:64] or None

    def parsed(name: str, parse: Any) -> Any:
        try:
            return parse(args[name]) if args.get(name) else None
        except ValueError:
            return None

    source = text("source")
    before = parsed("before", datetime.fromisoformat)
    return auditlog.Filters(
        site=text("site"),
        action=text("action"),
        user=text("user"),
        ticket=text("ticket"),
        day=parsed("day", date.fromisoformat),
        source=source if source in ("audit", "ticket") else None,
        before=before if before is not None and before.tzinfo is not None else None,
    )


@bp.get("/admin")
@staff_page("admin")
def audit() -> Any:
    app = ctx()
    f = _filters()
    with app.db.read() as s:
        rows = auditlog.read_log(s, app.clock, f)
        actions = auditlog.known_actions(s)
    older = None
    if len(rows) == auditlog.PAGE:
        older = url_for("admin.audit", **{**request.args, "before": rows[-1].at.isoformat()})
    return render_template(
        "admin/audit.html",
        nav="admin",
        tab="audit",
        rows=rows,
        actions=actions,
        f=f,
        older=older,
        local=lambda at: local(app.clock, at),
        sites=app.config.sites,
    )


@bp.get("/admin/audit.csv")
@staff_page("admin")
def audit_csv() -> Any:
    app = ctx()
    with app.db.read() as s:
        rows = auditlog.read_log(s, app.clock, _filters(), limit=10_000)
    body = auditlog.to_csv(rows, app.clock)
    return Response(
        "\ufeff" + body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="motcua-audit.csv"'},
    )


@bp.get("/admin/users")
@staff_page("admin")
def users() -> Any:
    app = ctx()
    with app.db.read() as s:
        people = access.list_users(s)
    return render_template(
        "admin/users.html",
        nav="admin",
        tab="users",
        users=people,
        local=lambda at: local(app.clock, at),
    )


@bp.post("/admin/users/<name>/disable")
@staff_page("admin")
def disable(name: str) -> Any:
    app = ctx()
    with app.db.transaction() as s:
        actor = access.actor_of(g.user, request.remote_addr)
        access.disable_user(s, actor, name, app.clock.now())
    return redirect(url_for("admin.users"))


@bp.get("/admin/devices")
@staff_page("admin")
def devices() -> Any:
    app = ctx()
    with app.db.read() as s:
        found = access.list_devices(s)
    return render_template(
        "admin/devices.html",
        nav="admin",
        tab="devices",
        devices=found,
        local=lambda at: local(app.clock, at),
    )
