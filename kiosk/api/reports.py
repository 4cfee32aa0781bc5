"""``GET /api/v1/reports``: a site's figures over business days, grouped one way."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from pydantic import BaseModel

from kiosk.api import endpoint
from kiosk.auth import Caller
from kiosk.domain.errors import Forbidden
from kiosk.domain.reports import build_report
from kiosk.domain.supervision import SUPERVISORS
from kiosk.reporting.args import api_query
from kiosk.reporting.summary import summarise_range
from kiosk.services import ctx


class StatOut(BaseModel):
    avg: float | None
    median: float | None
    p90: float | None


class RatingsOut(BaseModel):
    count: int
    avg: float | None
    by_score: dict[str, int]


class FiguresOut(BaseModel):
    issued: int
    served: int
    no_show: int
    cancelled: int
    transferred: int
    wait_s: StatOut
    service_s: StatOut
    service_level: float | None
    ratings: RatingsOut


class RowOut(FiguresOut):
    key: str | int | None


class ReportOut(BaseModel):
    site: str
    # "from" is a Python keyword: the document names it through the alias.
    from_: str
    to: str
    by: str
    filters: dict[str, str]
    totals: FiguresOut
    rows: list[RowOut]

    model_config = {"populate_by_name": True, "alias_generator": lambda n: n.rstrip("_")}


@endpoint(
    "/reports",
    "GET",
    summary="Figures of one site over business days from…to (inclusive, at most 366), grouped "
    "by service, counter, officer, hour (local hour of issue), day (business day) or priority "
    "group; optional filters service, counter, officer (username), priority (group code or "
    "'none'). Supervisors and admins, of their own sites",
    who=("staff",),
    response=ReportOut,
    query=("site", "from", "to", "by", "service", "counter", "officer", "priority"),
    errors=(401, 403, 404, 422),
)
def report(caller: Caller) -> Any:
    app = ctx()
    actor = caller.actor()
    if actor.role not in SUPERVISORS:
        raise Forbidden("Chỉ cán bộ giám sát xem được báo cáo.", en="Supervisors only.")
    query = api_query(request.args)
    summarise_range(app.db, app.config, app.clock, query)
    with app.db.read() as s:
        found = build_report(s, app.config, app.clock, query, actor.site)
    return jsonify(found.as_dict())
