"""``/reports`` for supervisors and admins: a site's figures over a day, week, month,
quarter, year or chosen range, with filters, charts and every table as CSV and XLSX; and
``/reports/summary``, the month on one printable A4 page (Vietnamese) for the ward's own
reporting. All numbers come from :func:`kiosk.reporting.tables.build_tables`."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, g, render_template, request

from kiosk.config import Site
from kiosk.domain.clock import business_day
from kiosk.domain.errors import Forbidden, InvalidInput, NotFound
from kiosk.domain.reports import ReportQuery, officers_of, period
from kiosk.reporting import files
from kiosk.reporting.args import PERIODS, page_query
from kiosk.reporting.summary import summarise_range
from kiosk.reporting.tables import ReportTables, build_tables
from kiosk.services import ctx
from kiosk.views.accounts import staff_page
from kiosk.views.counter import sites_of
from kiosk.web import lang, tr

bp = Blueprint("reports", __name__)


def _site() -> tuple[list[Site], Site]:
    """The user's sites and the one asked for (the first by default). Raises NotFound for an
    unknown site and Forbidden for another site's (as the API does)."""
    sites = sites_of(g.user)
    if not sites:
        abort(403)
    wanted = request.args.get("site")
    site = next((s for s in sites if s.code == wanted), None if wanted else sites[0])
    if site is None:
        if ctx().config.site(str(wanted)) is None:
            raise NotFound("Không có điểm đó.", en="No such site.", what="site")
        raise Forbidden("Tài khoản này không xem được báo cáo của điểm đó.", en="Not your site.")
    return sites, site


def _tables(q: ReportQuery, sites: list[Site], language: str | None = None) -> ReportTables:
    app = ctx()
    guide_sites = [x.code for x in sites if x.guide]
    summarise_range(app.db, app.config, app.clock, q)
    with app.db.read() as s:
        return build_tables(
            s, app.config, app.clock, q, g.user.site, language or lang(), guide_sites
        )


@bp.get("/reports")
@staff_page("supervisor", "admin")
def index() -> Any:
    app = ctx()
    sites, site = _site()
    kind, q = page_query(request.args, site.code, business_day(app.clock))
    found = _tables(q, sites)
    with app.db.read() as s:
        officers = officers_of(s, site.code, q.start, q.end)
    charts = {
        "hour": [[r.key, r.figures.issued] for r in found.reports["hour"].rows],
        "day": [[r.key, r.figures.issued, r.figures.served] for r in found.reports["day"].rows],
        "service": [[row[0], row[1], row[2]] for row in found.table("service").rows],  # type: ignore[union-attr]
        "labels": {
            "issued": tr("Số phiếu", "Issued"),
            "served": tr("Đã xong", "Served"),
        },
    }
    query = {"site": site.code, "from": q.start.isoformat(), "to": q.end.isoformat()}
    query.update(q.filters.query())
    return render_template(
        "reports/index.html",
        nav="reports",
        r=found,
        q=q,
        kind=kind,
        periods=PERIODS,
        sites=sites,
        officers=officers,
        groups=app.config.settings.priority.groups,
        charts=charts,
        export_query=query,
        totals=found.reports["service"].totals,
        summary_month=min(q.end, business_day(app.clock)).strftime("%Y-%m"),
    )


@bp.get("/reports/export")
@staff_page("supervisor", "admin")
def export() -> Any:
    """``format`` csv (one ``table``) or xlsx (one ``table``, or every table); the period as
    ``from``/``to`` or ``period``/``date`` like the page."""
    app = ctx()
    sites, site = _site()
    _, q = page_query(_custom(request.args), site.code, business_day(app.clock))
    found = _tables(q, sites)
    fmt, name = request.args.get("format", "xlsx"), request.args.get("table")
    chosen = [found.table(name)] if name else list(found.tables)
    if not all(chosen) or fmt not in ("csv", "xlsx") or (fmt == "csv" and not name):
        raise InvalidInput(
            "Hãy chọn bảng và định dạng (csv, xlsx).", en="Choose a table and csv or xlsx."
        )
    stem = f"motcua-{site.code}-{q.start.isoformat()}-{q.end.isoformat()}" + (
        f"-{name}" if name else ""
    )
    if fmt == "csv":
        body: Any = files.table_csv(chosen[0])  # type: ignore[arg-type]
        mimetype = "text/csv"
    else:
        heading = [
            f"{tr('Điểm', 'Site')}: {site.name}",
            f"{tr('Từ ngày', 'From')} {q.start.isoformat()} "
            f"{tr('đến ngày', 'to')} {q.end.isoformat()}",
        ]
        heading += [f"{k}: {v}" for k, v in q.filters.query().items()]
        body = files.workbook(chosen, heading)  # type: ignore[arg-type]
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


def _custom(args: Any) -> Any:
    """Export links name their range as from/to: read them as a custom period."""
    if args.get("from") or args.get("to"):
        args = args.copy()
        args["period"] = "custom"
    return args


@bp.get("/reports/summary")
@staff_page("supervisor", "admin")
def summary() -> Any:
    """One month of one site on an A4 page, in Vietnamese, for printing (``month=YYYY-MM``)."""
    app = ctx()
    sites, site = _site()
    raw = request.args.get("month") or business_day(app.clock).strftime("%Y-%m")
    try:
        anchor = date.fromisoformat(f"{raw}-01") if len(raw) == 7 and raw.isascii() else None
    except ValueError:
        anchor = None
    if anchor is None or not 2000 <= anchor.year <= 2199:
        raise InvalidInput("Tháng phải có dạng YYYY-MM.", en="month must be YYYY-MM.")
    start, end = period("month", anchor)
    found = _tables(ReportQuery(site.code, start, end), sites, "vi")
    totals = found.reports["service"].totals
    rating = app.config.settings.rating
    good = sum(n for k, n in totals.by_score.items() if int(k) >= rating.negative_below)
    return render_template(
        "reports/summary.html",
        r=found,
        month=anchor,
        org=app.config.settings.organisation,
        rating=rating,
        totals=totals,
        satisfied=good / totals.ratings_count if totals.ratings_count else None,
        today=business_day(app.clock),
    )
