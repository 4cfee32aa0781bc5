"""API v1 for the counter console, the supervisor view and the rating tablet: a counter's board
(current ticket and live lists), the site overview, a counter's services for today, a priority
granted with a reason, and "which ticket should this tablet ask about"."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from flask import Response, jsonify
from pydantic import Field, StringConstraints

from kiosk.api import endpoint
from kiosk.api.present import ticket_body
from kiosk.api.schemas import Code, In, Out, TicketOut
from kiosk.auth import Caller
from kiosk.domain import supervision
from kiosk.domain.clock import local
from kiosk.domain.console import Board, TicketRow, counter_board, find_today, ticket_to_rate
from kiosk.domain.counters import counter_config
from kiosk.domain.errors import Forbidden
from kiosk.domain.tickets import check_site
from kiosk.services import Services, ctx

# --- bodies -------------------------------------------------------------------------------------


class ConsoleTicket(Out):
    id: int
    number: str
    service: str
    service_name: str
    service_name_en: str
    status: str
    priority: str | None
    priority_name: str | None
    priority_name_en: str | None
    priority_requested: str | None
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    counter: int | None
    recalls: int
    note: str | None
    procedure: str | None
    procedure_name: str | None
    procedure_name_en: str | None
    waited_s: int
    over_target: bool
    transferred_from: str | None
    transferred_from_name: str | None
    transferred_from_name_en: str | None
    transferred_by: int | None


class ConsoleService(Out):
    code: str
    name: str
    name_en: str
    prefix: str


class ConsoleQueue(ConsoleService):
    target_wait_min: int
    count: int
    tickets: list[ConsoleTicket]


class ConsoleBoard(Out):
    site: str
    site_name: str
    counter: int
    counter_name: str
    status: str
    pause_reason: str | None
    services: list[ConsoleService]
    configured_services: list[str]
    overridden: bool
    officer: str | None
    current: ConsoleTicket | None
    queues: list[ConsoleQueue]
    held: list[ConsoleTicket]
    transferred: list[ConsoleTicket]
    no_show_after_recalls: int
    now: datetime


class OverviewCounter(Out):
    number: int
    name: str
    services: list[str]
    overridden: bool
    status: str
    pause_reason: str | None
    since: datetime | None
    ticket: ConsoleTicket | None
    officer: str | None


class OverviewService(ConsoleService):
    target_wait_min: int
    waiting: int
    longest_wait_s: int
    over_target: int
    no_shows: int
    done: int
    counters: list[int]


class SiteOverview(Out):
    site: str
    site_name: str
    counters: list[OverviewCounter]
    services: list[OverviewService]
    waiting: list[ConsoleTicket]
    no_shows: int
    done: int
    longest_wait_s: int
    now: datetime


class CounterServicesIn(In):
    """The services a counter calls today, in calling order; null restores the configuration."""

    services: Annotated[list[Code], Field(min_length=1, max_length=30)] | None


class CounterServicesOut(Out):
    number: int
    services: list[str]
    overridden: bool


class PriorityIn(In):
    group: Code
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RatingLabel(Out):
    score: int
    label: str
    label_en: str


class RatingReason(Out):
    code: str
    label: str
    label_en: str


class RatingRequest(Out):
    ticket: int
    number: str
    service_name: str
    finished_at: datetime
    show_seconds: int
    scale: list[RatingLabel]
    negative_below: int
    reasons: list[RatingReason]


# --- presenters ---------------------------------------------------------------------------------


def _iso(app: Services, at: datetime | None) -> str | None:
    return local(app.clock, at).isoformat() if at else None


def ticket_json(app: Services, site: Any, r: TicketRow) -> dict[str, Any]:
    svc = site.service(r.service)
    moved_from = site.service(r.transferred_from) if r.transferred_from else None
    group = app.config.settings.priority.group(r.priority) if r.priority else None
    catalogue = app.catalogue
    proc = catalogue.get(r.procedure) if catalogue is not None and r.procedure else None
    return {
        "id": r.id,
        "number": r.number,
        "service": r.service,
        "service_name": svc.name if svc else r.service,
        "service_name_en": (svc.name_en or svc.name) if svc else r.service,
        "status": r.status,
        "priority": r.priority,
        "priority_name": group.name if group else None,
        "priority_name_en": (group.name_en or group.name) if group else None,
        "priority_requested": r.priority_requested,
        "issued_at": _iso(app, r.issued_at),
        "called_at": _iso(app, r.called_at),
        "started_at": _iso(app, r.started_at),
        "counter": r.counter,
        "recalls": r.recalls,
        "note": r.note,
        "procedure": r.procedure,
        "procedure_name": proc.name_vi if proc else r.procedure,
        "procedure_name_en": (proc.name_en or proc.name_vi) if proc else r.procedure,
        "waited_s": r.waited_s,
        "over_target": r.over_target,
        "transferred_from": r.transferred_from,
        "transferred_from_name": moved_from.name if moved_from else None,
        "transferred_from_name_en": (moved_from.name_en or moved_from.name) if moved_from else None,
        "transferred_by": r.transferred_by,
    }


def board_json(app: Services, b: Board) -> dict[str, Any]:
    site = b.site
    return {
        "site": site.code,
        "site_name": site.name,
        "counter": b.counter.number,
        "counter_name": b.counter.name,
        "status": b.status,
        "pause_reason": b.pause_reason,
        "services": [
            {
                "code": svc.code,
                "name": svc.name,
                "name_en": svc.name_en or svc.name,
                "prefix": svc.prefix,
            }
            for code in b.services
            if (svc := site.service(code)) is not None
        ],
        "configured_services": list(b.counter.services),
        "overridden": b.overridden,
        "officer": b.officer,
        "current": ticket_json(app, site, b.current) if b.current else None,
        "queues": [
            {
                "code": q.code,
                "name": q.name,
                "name_en": (svc.name_en or svc.name) if (svc := site.service(q.code)) else q.name,
                "prefix": q.prefix,
                "target_wait_min": q.target_wait_min,
                "count": q.count,
                "tickets": [ticket_json(app, site, t) for t in q.tickets],
            }
            for q in b.queues
        ],
        "held": [ticket_json(app, site, t) for t in b.held],
        "transferred": [ticket_json(app, site, t) for t in b.transferred],
        "no_show_after_recalls": b.no_show_after_recalls,
        "now": _iso(app, app.clock.now()),
    }


def overview_json(app: Services, o: supervision.Overview) -> dict[str, Any]:
    return {
        "site": o.site.code,
        "site_name": o.site.name,
        "counters": [
            {
                "number": c.number,
                "name": c.name,
                "services": list(c.services),
                "overridden": c.overridden,
                "status": c.status,
                "pause_reason": c.pause_reason,
                "since": _iso(app, c.since),
                "ticket": ticket_json(app, o.site, c.ticket) if c.ticket else None,
                "officer": c.officer,
            }
            for c in o.counters
        ],
        "services": [
            {
                "code": v.code,
                "name": v.name,
                "name_en": (svc.name_en or svc.name) if (svc := o.site.service(v.code)) else v.name,
                "prefix": v.prefix,
                "target_wait_min": v.target_wait_min,
                "waiting": v.waiting,
                "longest_wait_s": v.longest_wait_s,
                "over_target": v.over_target,
                "no_shows": v.no_shows,
                "done": v.done,
                "counters": list(v.counters),
            }
            for v in o.services
        ],
        "waiting": [ticket_json(app, o.site, t) for t in o.waiting],
        "no_shows": o.no_shows,
        "done": o.done,
        "longest_wait_s": o.longest_wait_s,
        "now": _iso(app, app.clock.now()),
    }


# --- endpoints ----------------------------------------------------------------------------------


@endpoint(
    "/counters/<site>/<int:counter>/board",
    "GET",
    summary="A counter's console: status, current ticket, waiting per service, held, "
    "transferred in (with notes)",
    who=("staff",),
    response=ConsoleBoard,
    errors=(401, 403, 404),
)
def board(caller: Caller, site: str, counter: int) -> Any:
    app = ctx()
    check_site(caller.actor(), site)
    with app.db.read() as s:
        return jsonify(board_json(app, counter_board(s, app.config, app.clock, site, counter)))


@endpoint(
    "/sites/<site>/overview",
    "GET",
    summary="Supervisor view: every counter, waits against targets, no-shows today",
    who=("staff",),
    response=SiteOverview,
    errors=(401, 403, 404),
)
def site_overview(caller: Caller, site: str) -> Any:
    app = ctx()
    supervision.require_supervisor(caller.actor(), site)
    with app.db.read() as s:
        o = supervision.overview(s, app.config, app.clock, site)
    return jsonify(overview_json(app, o))


@endpoint(
    "/counters/<site>/<int:counter>/services",
    "POST",
    summary="Supervisor: the services a counter calls for the rest of today (null: as configured)",
    who=("staff",),
    body=CounterServicesIn,
    response=CounterServicesOut,
    errors=(401, 403, 404, 422),
)
def counter_services(caller: Caller, site: str, counter: int, body: CounterServicesIn) -> Any:
    app = ctx()
    with app.change() as tx:
        row = tx.take(
            supervision.set_counter_services(
                tx.s, app.config, app.clock, caller.actor(), site, counter, body.services
            )
        )
        out = {
            "number": row.number,
            "services": list(row.services_override or []),
            "overridden": row.services_override is not None,
        }
    if not out["services"]:
        out["services"] = list(counter_config(app.config, site, counter)[1].services)
    return jsonify(out)


@endpoint(
    "/tickets/<int:ticket_id>/priority",
    "POST",
    summary="Grant a priority group to a waiting ticket, with a reason (audited). Supervisors: "
    "any group; counter staff: only confirm the group asked for at the kiosk",
    who=("staff",),
    body=PriorityIn,
    response=TicketOut,
    errors=(401, 403, 404, 409, 422),
)
def grant_priority(caller: Caller, ticket_id: int, body: PriorityIn) -> Any:
    app = ctx()
    with app.change() as tx:
        ticket = tx.take(
            supervision.grant_priority(
                tx.s, app.config, app.clock, caller.actor(), ticket_id, body.group, body.reason
            )
        )
        out = ticket_body(tx.s, app, ticket)
    return jsonify(out)


@endpoint(
    "/counters/<site>/<int:counter>/rating-request",
    "GET",
    summary="The counter's rating tablet: the ticket just finished here and not rated yet "
    "(204 when none within the configured seconds)",
    who=("counter",),
    response=RatingRequest,
    errors=(401, 403, 404),
)
def rating_request(caller: Caller, site: str, counter: int) -> Any:
    app = ctx()
    device = caller.device
    assert device is not None
    if device.site != site or device.counter != counter:
        raise Forbidden(
            "Máy đánh giá này thuộc quầy khác.", en="This rating device belongs to another counter."
        )
    scale = app.config.settings.rating
    with app.db.read() as s:
        ticket = ticket_to_rate(s, app.clock, site, counter, scale.show_seconds)
    if ticket is None:
        return Response(status=204)
    service = counter_config(app.config, site, counter)[0].service(ticket.service)
    return jsonify(
        {
            "ticket": ticket.id,
            "number": ticket.number,
            "service_name": service.name if service else ticket.service,
            "finished_at": _iso(app, ticket.finished_at),
            "show_seconds": scale.show_seconds,
            "scale": [
                {"score": n, "label": scale.labels[n].vi, "label_en": scale.labels[n].en}
                for n in sorted(scale.labels, reverse=True)
            ],
            "negative_below": scale.negative_below,
            "reasons": [{"code": r.code, "label": r.vi, "label_en": r.en} for r in scale.reasons],
        }
    )


@endpoint(
    "/sites/<site>/tickets/<number>",
    "GET",
    summary="Today's ticket with this number at the site (staff), e.g. to call it out of turn",
    who=("staff",),
    response=TicketOut,
    errors=(401, 403, 404),
)
def ticket_by_number(caller: Caller, site: str, number: str) -> Any:
    app = ctx()
    check_site(caller.actor(), site)
    with app.db.read() as s:
        ticket = find_today(s, app.clock, site, number)
        return jsonify(ticket_body(s, app, ticket))
