"""API v1: the procedure catalogue and what the online-submission guide does with
it at a kiosk: print a checklist, call a volunteer, take a hall ticket, count anonymous use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from flask import jsonify, request, session
from pydantic import Field, StrictBool, StrictInt, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.api import endpoint, schemas
from kiosk.api.present import base_url, ticket_body
from kiosk.auth import Caller, current_caller
from kiosk.domain import guide, guide_json
from kiosk.domain.catalogue import Catalogue, ChecklistError, Procedure, checklist, search
from kiosk.domain.clock import business_day, local
from kiosk.domain.errors import Conflict, InvalidInput, NotFound, RateLimited
from kiosk.domain.hours import after_cutoff
from kiosk.domain.printjobs import enqueue
from kiosk.domain.tickets import issue_ticket
from kiosk.models import PrintJob
from kiosk.printing import printer_key
from kiosk.services import Services, ctx

# Flask session keys: the guide page starts a session id; a hall ticket marks it used.
GUIDE_SESSION = "guide_sid"
HALL_TICKET_USED = "guide_hall"
MAX_QUEUED_PRINTS = 3  # a kiosk printer holds at most this many unprinted checklists
QuestionId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ChecklistIn(schemas.In):
    answers: Annotated[dict[QuestionId, StrictBool], Field(max_length=20)]
    pages: Annotated[StrictInt, Field(ge=1, le=10000)] | None = None
    copies: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None


class PrintChecklistIn(ChecklistIn):
    lang: Literal["vi", "en"] = "vi"


class ViewIn(schemas.In):
    site: schemas.Code | None = None


class HallTicketIn(schemas.In):
    site: schemas.Code | None = None


class VolunteerIn(schemas.In):
    procedure: schemas.Code | None = None


class ProcedureSummaryOut(schemas.Out):
    code: str
    name: str
    field: str
    online_class: Literal["toan_trinh", "mot_phan", "truc_tiep"] | None
    name_en: str
    fields: list[str]
    verified: bool


class StepOut(schemas.Out):
    vi: str
    en: str


class DocumentOut(schemas.Out):
    id: str
    name: str
    name_en: str
    original: int
    copy_: int = Field(alias="copy")
    when: str | None = None
    note: str | None
    upload: bool | None = None


class TimeLimitOut(schemas.Out):
    value: int
    unit: str
    cutoff_15h: bool
    note: str | None
    note_en: str | None


class ExemptionOut(schemas.Out):
    id: str
    name: str
    name_en: str


class FeeOut(schemas.Out):
    kind: Literal["fixed", "by_answer", "tiered_per_page"]
    amount_vnd: int | None
    unit: str
    inputs: list[str]
    note: str | None
    basis: str | None
    exemptions: list[ExemptionOut]


class QuestionOut(schemas.Out):
    id: str
    ask: str
    ask_en: str


class ConditionOut(QuestionOut):
    question: str
    answer: bool


class PlaceOut(schemas.Out):
    site: str
    site_name: str
    site_name_en: str
    service: str
    service_name: str
    service_name_en: str
    remote_ticket: bool


class CounterGroupOut(schemas.Out):
    key: str
    name: str
    name_en: str


class ProcedureOut(ProcedureSummaryOut):
    alt_codes: list[str]
    channels: list[str]
    online: bool
    steps: list[StepOut]
    documents: list[DocumentOut]
    present_id: bool
    time_limit: TimeLimitOut
    cutoff_warning: bool
    fee: FeeOut
    result: str
    legal_basis: list[str]
    portal_url: str
    counter_group: CounterGroupOut | None
    verified_on: str | None
    unverified_label: str | None
    wizard: list[QuestionOut]
    conditions: list[ConditionOut]
    visit_needed: bool
    in_person: list[PlaceOut]


class NoteOut(schemas.Out):
    vi: str
    en: str
    kind: Literal["branch", "case"]
    question: str | None
    document: str | None


class SuggestionOut(schemas.Out):
    code: str
    name: str | None
    name_en: str | None
    in_catalogue: bool
    portal_url: str


class ChecklistOut(schemas.Out):
    procedure: str
    documents: list[DocumentOut]
    notes: list[NoteOut]
    fee_vnd: int | None
    fee_unit: str
    fee_note: str | None
    fee_inputs: list[str]
    fee_exemptions: list[ExemptionOut]
    suggestions: list[SuggestionOut]
    stopped: dict[str, Any] | None
    unanswered: list[str]
    complete: bool


class PrintJobOut(schemas.Out):
    id: int
    status: Literal["queued", "printing", "printed", "failed"]


class GuideTicketOut(schemas.TicketOut):
    site_name: str
    site_name_en: str


def _catalogue() -> Catalogue | None:
    return ctx().catalogue


def _find(code: str) -> tuple[Catalogue, Procedure]:
    return guide.must_find(_catalogue(), code)


def _here() -> str | None:
    """The site of the asking kiosk, else the ``site`` query parameter."""
    caller = current_caller()
    if caller is not None and caller.device is not None and caller.device.kind == "kiosk":
        return caller.device.site
    return request.args.get("site") or None


@endpoint(
    "/procedures",
    "GET",
    summary="Catalogue search (accents, case, spacing and small typos ignored), best first; "
    "an empty q lists the field (or everything) in catalogue order",
    response=list[ProcedureSummaryOut],
    query=("q", "field", "limit"),
    errors=(422,),
)
def list_procedures() -> Any:
    cat = _catalogue()
    raw_limit = request.args.get("limit", "20")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise InvalidInput("'limit' phải từ 1 đến 100.", en="'limit' must be 1-100.", field="limit")
    if cat is None:
        return jsonify([])
    found = search(cat, request.args.get("q", ""), request.args.get("field"), int(raw_limit))
    return jsonify([guide_json.summary(p) for p in found])


@endpoint(
    "/procedures/<code>",
    "GET",
    summary="One procedure: its published elements, wizard questions, who may use it and "
    "where it is handled in person",
    response=ProcedureOut,
    query=("site",),
    errors=(404,),
)
def get_procedure(code: str) -> Any:
    app = ctx()
    cat, procedure = _find(code)
    late = after_cutoff(local(app.clock), app.config.settings.same_day_cutoff)
    return jsonify(guide_json.details(cat, app.config, procedure, _here(), after_cutoff=late))


def _checklist(app: Services, procedure: Procedure, body: ChecklistIn) -> Any:
    try:
        return checklist(
            procedure,
            body.answers,
            today=business_day(app.clock),
            pages=body.pages,
            copies=body.copies,
        )
    except ChecklistError as exc:
        raise InvalidInput(
            f"Câu trả lời không khớp với thủ tục: {exc}", en=str(exc), field="answers"
        ) from None


@endpoint(
    "/procedures/<code>/checklist",
    "POST",
    summary="The wizard: yes/no answers (and pages/copies for per-page fees) → papers to "
    "prepare, what to scan for online filing, notes and a fee estimate",
    body=ChecklistIn,
    response=ChecklistOut,
    errors=(404, 422),
)
def post_checklist(code: str, body: ChecklistIn) -> Any:
    app = ctx()
    cat, procedure = _find(code)
    return jsonify(guide_json.checklist(cat, procedure, _checklist(app, procedure, body)))


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
    cat, procedure = _find(code)
    result = _checklist(app, procedure, body)
    if result.stopped is not None:
        raise InvalidInput(
            "Thủ tục này không áp dụng với câu trả lời đã chọn.",
            en="The answers show that this procedure does not apply.",
            field="answers",
        )
    printer = printer_key(app.config, app.settings, caller.device.name)
    if printer is None:
        raise Conflict("Máy này không có máy in.", en="This kiosk has no printer.")
    org = app.config.settings.organisation
    payload = guide.checklist_document(
        cat,
        procedure,
        result,
        header_lines=tuple(org.ticket_header) or (org.name,),
        lang=body.lang,
        pages=body.pages,
        copies=body.copies,
    )
    with app.db.transaction() as s:
        waiting = s.scalar(
            select(func.count())
            .select_from(PrintJob)
            .where(
                PrintJob.printer == printer,
                PrintJob.kind == "document",
                PrintJob.status.in_(("queued", "printing")),
            )
        )
        if waiting >= MAX_QUEUED_PRINTS:
            raise RateLimited(
                "Máy in đang bận. Xin chờ in xong rồi thử lại.",
                retry_after_s=10,
                en="The printer is busy. Please wait for it to finish.",
            )
        job_id = enqueue(s, printer, app.clock.now(), kind="document", payload=payload)
        guide.record_usage(s, business_day(app.clock), caller.device.site, "printed", code)
    app.wake_printers()
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
    printer = printer_key(app.config, app.settings, caller.device.name)
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
    summary="Count one anonymous view of a procedure in the guide (for reports)",
    body=ViewIn,
    status=204,
    errors=(404, 422),
)
def count_view(code: str, body: ViewIn) -> Any:
    app = ctx()
    _, procedure = _find(code)
    caller = current_caller()
    device = caller.device if caller is not None else None
    site = device.site if device is not None and device.kind == "kiosk" else body.site
    if site is None or app.config.site(site) is None:
        raise InvalidInput("Không rõ điểm tiếp nhận.", en="Unknown site.", field="site")
    with app.db.transaction() as s:
        guide.record_usage(s, business_day(app.clock), site, "viewed", procedure.code)
    return "", 204


def _issue(
    app: Services,
    caller: Caller,
    site: str,
    service: str,
    procedure: str | None,
    event: guide.Event,
    check: Callable[[Session], None] = lambda s: None,
) -> dict[str, Any]:
    """Issue a ticket from the guide's kiosk, printed on its printer, and count ``event``,
    in one transaction that runs ``check`` first."""
    kiosk = caller.device
    with app.db.transaction() as s:
        check(s)
        ticket, events = issue_ticket(
            s,
            app.config,
            app.clock,
            caller.actor(),
            site=site,
            service=service,
            procedure=procedure,
            printer=printer_key(app.config, app.settings, kiosk.name),
            print_params={"base_url": base_url(app)},
            per_minute_limit=app.config.settings.kiosk.tickets_per_minute,
        )
        guide.record_usage(s, business_day(app.clock), kiosk.site, event, procedure)
    app.publisher.publish(events)
    app.wake_printers()
    with app.db.read() as s:
        out = ticket_body(s, app, ticket)
    site_cfg = app.config.site(site)
    assert site_cfg is not None
    out.update(site_name=site_cfg.name, site_name_en=site_cfg.name_en)
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
    site = app.config.site(caller.device.site)
    service = guide.volunteer_service(site) if site is not None else None
    if site is None or service is None:
        raise NotFound(
            "Điểm này không có dịch vụ hỗ trợ trực tuyến.",
            en="This site has no online-help service.",
            what="service",
        )
    procedure = body.procedure if body.procedure and _known(body.procedure) else None
    return jsonify(_issue(app, caller, site.code, service.code, procedure, "help")), 201


def _known(code: str) -> bool:
    cat = _catalogue()
    return cat is not None and cat.get(code) is not None


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
    _, procedure = _find(code)
    here = caller.device.site
    place = guide.ticket_place(app.config, procedure, here, body.site)
    sid = session.get(GUIDE_SESSION)

    def anti_hoarding(s: Session) -> None:
        if place.site.code != here:
            guide.check_remote_allowed(
                s,
                device_id=caller.device.id,
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
