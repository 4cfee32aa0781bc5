"""``/reports`` for supervisors and admins: one site, one day (today by default); the day's
tickets as CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, g, render_template, request

from kiosk.config import Site
from kiosk.domain.clock import business_day
from kiosk.domain.reports import day_report, tickets_csv
from kiosk.services import ctx
from kiosk.views.accounts import staff_page
from kiosk.views.counter import sites_of

bp = Blueprint("reports", __name__)


def _choice() -> tuple[list[Site], Site, date]:
    sites = sites_of(g.user)
    if not sites:
        abort(403)
    site = next((s for s in sites if s.code == request.args.get("site")), sites[0])
    try:
        day = date.fromisoformat(request.args.get("day") or "")
    except ValueError:
        day = business_day(ctx().clock)
    return sites, site, day


@bp.get("/reports")
@staff_page("supervisor", "admin")
def day() -> Any:
    app = ctx()
    sites, site, when = _choice()
    with app.db.read() as s:
        report = day_report(s, app.config, app.clock, site.code, when)
    return render_template("reports/day.html", nav="reports", r=report, sites=sites)


@bp.get("/reports/tickets.csv")
@staff_page("supervisor", "admin")
def day_csv() -> Any:
    app = ctx()
    _, site, when = _choice()
    with app.db.read() as s:
        report = day_report(s, app.config, app.clock, site.code, when)
    name = f"motcua-{site.code}-{when.isoformat()}.csv"
    return Response(
        "\ufeff" + tickets_csv(report, app.clock),  # BOM: spreadsheet apps then read UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
