"""``/admin`` for admins: the audit log (audit table and ticket histories, filtered, CSV), users
(disable one at once) and enrolled devices."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from kiosk.domain import access, auditlog
from kiosk.domain.clock import local
from kiosk.inputs import parse_date, parse_datetime
from kiosk.services import ctx
from kiosk.views.accounts import staff_page

bp = Blueprint("admin", __name__)


def _filters() -> auditlog.Filters:
    args = request.args

    def text(name: str) -> str | None:
        return (args.get(name) or "").strip()[:64] or None

    source = text("source")
    return auditlog.Filters(
        site=text("site"),
        action=text("action"),
        user=text("user"),
        ticket=text("ticket"),
        day=parse_date(args.get("day")),
        source=source if source in ("audit", "ticket") else None,
        before=parse_datetime(args.get("before")),
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
        sites=app.config.sites,
        local=lambda at: local(app.clock, at),
    )


@bp.post("/admin/users/<name>/disable")
@staff_page("admin")
def disable(name: str) -> Any:
    app = ctx()
    actor = access.actor_of(g.user, request.remote_addr)
    with app.change() as tx:
        tx.take(access.disable_user(tx.s, actor, name, app.clock.now()))
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
        sites=app.config.sites,
        local=lambda at: local(app.clock, at),
    )


@bp.get("/admin/print-jobs")
@staff_page("admin")
def print_jobs() -> Any:
    """Recent print jobs, each drawn as the printer got it (``/admin/print-jobs/<id>.png``)."""
    from kiosk.printing.preview import recent_print_jobs

    app = ctx()
    with app.db.read() as s:
        jobs = recent_print_jobs(s, app, g.user.site, request.args.get("before"))
    return render_template(
        "admin/print_jobs.html",
        nav="admin",
        tab="print_jobs",
        jobs=jobs,
        local=lambda at: local(app.clock, at),
    )


@bp.get("/admin/print-jobs/<job_id>.png")
@staff_page("admin")
def print_job_png(job_id: str) -> Any:
    from kiosk.printing.preview import print_job_picture

    app = ctx()
    with app.db.read() as s:
        picture, final = print_job_picture(s, app, g.user.site, job_id)
    cache = "private, max-age=86400" if final else "no-store"  # printed bytes never change
    return Response(picture, mimetype="image/png", headers={"Cache-Control": cache})
