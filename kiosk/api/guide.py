"""API v1: what the online-submission guide does at a kiosk — print a checklist, call a
volunteer, take a ticket for the office, and count anonymous use (also late, after a kiosk was
offline)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import jsonify, request, session
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.api import endpoint
from kiosk.api.present import base_url, ticket_body
from kiosk.api.procedure_models import (
    GuideTicketOut,
    HallTicketIn,
    PrintChecklistIn,
    PrintJobOut,
    ViewIn,
    VolunteerIn,
)
from kiosk.api.procedures import catalogue, find, run_checklist
from kiosk.api.tickets import kiosk_limit
from kiosk.auth import Caller, current_caller
from kiosk.catalogue import guide
from kiosk.catalogue.printout import checklist_document
from kiosk.domain import guide_usage
from kiosk.domain.accounts import DeviceInfo
from kiosk.domain.clock import business_day
from kiosk.domain.errors import Conflict, InvalidInput, NotFound, RateLimited
from kiosk.domain.printjobs import enqueue
from kiosk.domain.tickets import issue_ticket
from kiosk.models import PrintJob
from kiosk.printing import printer_key
from kiosk.services import Services, ctx
from kiosk.throttle import throttle

# Flask session keys: the guide page starts a session id; a hall ticket marks it used.
GUIDE_SESSION = "guide_sid"
HALL_TICKET_USED = "guide_hall"
MAX_QUEUED_PRINTS = 3  # a kiosk printer holds at most this many unprinted checklists
# A view counted late (the kiosk was offline) is accepted for this many days back.
LATE_VIEW_DAYS = 7


def _kiosk(caller: Caller) -> DeviceInfo:
    """The calling kiosk (the endpoints below admit kiosks only)."""
    assert caller.device is not None
    return caller.device


@endpoint(
    "/procedures/<code>/checklist/print",
    "POST",
    summary="Print the checklist on this kiosk's printer (reference only, not a receipt)",
    who=("kiosk",),
    body=PrintChecklistIn,
    response=PrintJobOut,
    status=202,
    errors=(401, 403, 404, 409, 422, 429),
)
def print_checklist(caller: Caller, code: str, body: PrintChecklistIn) -> Any:
    app = ctx()
    cat, procedure = find(code)
    result = run_checklist(app, procedure, body)
    if result.stopped is not None:
        raise InvalidInput(
            "Thủ tục này không áp dụng với câu trả lời đã chọn.",
            en="The answers show that this procedure does not apply.",
            field="answers",
        )
    printer = printer_key(app.config, app.settings, _kiosk(caller).name)
    if printer is None:
        raise Conflict("Máy này không có máy in.", en="This kiosk has no printer.")
    org = app.config.settings.organisation
    payload = checklist_document(
        cat,
        procedure,
        result,
        header_lines=tuple(org.ticket_header) or (org.name,),
        lang=body.lang,
        pages=body.pages,
        copies=body.copies,
    )
    with app.change() as tx:
        s = tx.s
        waiting = s.scalar(
            select(func.count())
            .select_from(PrintJob)
            .where(
                PrintJob.printer == printer,
                PrintJob.kind == "document",
                PrintJob.status.in_(("queued", "printing")),
            )
        )
        if (waiting or 0) >= MAX_QUEUED_PRINTS:
            raise RateLimited(
                "Máy in đang bận. Xin chờ in xong rồi thử lại.",
                retry_after_s=10,
                en="The printer is busy. Please wait for it to finish.",
            )
        job_id = tx.take(enqueue(s, printer, app.clock.now(), kind="document", payload=payload))
        guide_usage.record_usage(s, business_day(app.clock), _kiosk(caller).site, "printed", code)
    return jsonify({"id": job_id, "status": "queued"}), 202


@endpoint(
    "/procedures/<code>/checklist/print/<int:job_id>",
    "GET",
    summary="Status of a checklist print job of this kiosk",
    who=("kiosk",),
    response=PrintJobOut,
    errors=(401, 403, 404),
)
def print_status(caller: Caller, code: str, job_id: int) -> Any:
    app = ctx()
    printer = printer_key(app.config, app.settings, _kiosk(caller).name)
    with app.db.read() as s:
        job = s.get(PrintJob, job_id)
        if (
            job is None
            or job.kind != "document"
            or job.printer != printer
            or (job.params or {}).get("procedure") != code
        ):
            raise NotFound("Không có lệnh in này.", en="No such print job.", what="print_job")
        return jsonify({"id": job.id, "status": job.status})


@endpoint(
    "/procedures/<code>/views",
    "POST",
    summary="Count one anonymous view of a procedure in the guide (for reports); a kiosk that "
    "was offline sends the day it happened (up to 7 days back)",
    body=ViewIn,
    status=204,
    errors=(404, 422, 429),
)
def count_view(code: str, body: ViewIn) -> Any:
    app = ctx()
    _, procedure = find(code)
    caller = current_caller()
    device = caller.device if caller is not None else None
    kiosk = device is not None and device.kind == "kiosk"
    site = device.site if kiosk and device is not None else body.site
    # Anonymous counts are what the guide's "popular" list is made of: one phone must not
    # be able to push a procedure up. Kiosks are enrolled devices, counted in full.
    if not kiosk and not throttle().guide_view(request.remote_addr or "?"):
        raise RateLimited(
            "Quá nhiều yêu cầu, xin thử lại sau.", retry_after_s=3600, en="Too many requests."
        )
    if site is None or app.config.site(site) is None:
        raise InvalidInput("Không rõ điểm tiếp nhận.", en="Unknown site.", field="site")
    today = business_day(app.clock)
    day = body.day or today
    if not today - timedelta(days=LATE_VIEW_DAYS) <= day <= today:
        raise InvalidInput(
            "Ngày không hợp lệ.", en=f"'day' must be within {LATE_VIEW_DAYS} days.", field="day"
        )
    with app.db.transaction() as s:
        guide_usage.record_usage(s, day, site, "viewed", procedure.code)
    return "", 204


def _issue(
    app: Services,
    caller: Caller,
    site: str,
    service: str,
    procedure: str | None,
    event: guide_usage.Event,
    check: Callable[[Session], None] = lambda s: None,
) -> dict[str, Any]:
    """Issue a ticket from the guide's kiosk, printed on its printer, and count ``event``,
    in one transaction that runs ``check`` first."""
    kiosk = _kiosk(caller)
    kiosk_limit(app, kiosk.id)
    with app.change() as tx:
        s = tx.s
        check(s)
        ticket = tx.take(
            issue_ticket(
                s,
                app.config,
                app.clock,
                caller.actor(),
                site=site,
                service=service,
                procedure=procedure,
                printer=printer_key(app.config, app.settings, kiosk.name),
                print_params={"base_url": base_url(app)},
            )
        )
        guide_usage.record_usage(s, business_day(app.clock), kiosk.site, event, procedure)
    with app.db.read() as s:
        out = ticket_body(s, app, ticket)
    site_cfg = app.config.site(site)
    assert site_cfg is not None
    service_cfg = site_cfg.service(service)
    out.update(
        site_name=site_cfg.name,
        site_name_en=site_cfg.name_en,
        service_name_en=service_cfg.name_en if service_cfg is not None else "",
    )
    return out


@endpoint(
    "/guide/volunteer",
    "POST",
    summary="Call a volunteer: a ticket for the online-help service of this kiosk's site, "
    "seen live at the support point's counter console",
    who=("kiosk",),
    body=VolunteerIn,
    response=GuideTicketOut,
    status=201,
    errors=(401, 403, 404, 409, 429),
)
def call_volunteer(caller: Caller, body: VolunteerIn) -> Any:
    app = ctx()
    site = app.config.site(_kiosk(caller).site)
    service = guide.volunteer_service(site) if site is not None else None
    if site is None or service is None:
        raise NotFound(
            "Điểm này không có dịch vụ hỗ trợ trực tuyến.",
            en="This site has no online-help service.",
            what="service",
        )
    cat = catalogue()
    known = body.procedure and cat is not None and cat.get(body.procedure) is not None
    procedure = body.procedure if known else None
    return jsonify(_issue(app, caller, site.code, service.code, procedure, "help")), 201


@endpoint(
    "/procedures/<code>/hall-ticket",
    "POST",
    summary="A ticket for the service that handles the procedure in person: at this kiosk's "
    "site, or at a site that allows remote tickets (one per guide session, and one per kiosk "
    "every kiosk.remote_ticket_gap_s seconds)",
    who=("kiosk",),
    body=HallTicketIn,
    response=GuideTicketOut,
    status=201,
    errors=(401, 403, 404, 409, 422, 429),
)
def hall_ticket(caller: Caller, code: str, body: HallTicketIn) -> Any:
    app = ctx()
    _, procedure = find(code)
    here = _kiosk(caller).site
    place = guide.ticket_place(app.config, procedure, here, body.site)
    sid = session.get(GUIDE_SESSION)

    def anti_hoarding(s: Session) -> None:
        if place.site.code != here:
            guide_usage.check_remote_allowed(
                s,
                device_id=_kiosk(caller).id,
                here=here,
                now=app.clock.now(),
                gap_s=app.config.settings.kiosk.remote_ticket_gap_s,
                session_used=sid is not None and session.get(HALL_TICKET_USED) == sid,
            )

    out = _issue(
        app,
        caller,
        place.site.code,
        place.service.code,
        procedure.code,
        "hall_ticket",
        anti_hoarding,
    )
    if sid is not None and place.site.code != here:
        session[HALL_TICKET_USED] = sid
    return jsonify(out), 201
