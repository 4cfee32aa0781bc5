"""API v1: the procedure catalogue — search in citizens' own words, one procedure, and the
checklist wizard. The guide's kiosk actions (print, views, tickets) are in `kiosk.api.guide`."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from kiosk.api import endpoint
from kiosk.api.procedure_models import (
    ChecklistIn,
    ChecklistOut,
    ProcedureOut,
    ProcedureSummaryOut,
    SearchOut,
)
from kiosk.auth import current_caller
from kiosk.catalogue import Catalogue, Procedure, present
from kiosk.catalogue.checklist import Checklist, ChecklistError, checklist
from kiosk.catalogue.guide import must_find
from kiosk.catalogue.search import search, search_with_hints
from kiosk.domain.clock import business_day, local
from kiosk.domain.errors import InvalidInput
from kiosk.domain.hours import after_cutoff
from kiosk.inputs import arg_int
from kiosk.services import Services, ctx


def catalogue() -> Catalogue | None:
    return ctx().catalogue


def find(code: str) -> tuple[Catalogue, Procedure]:
    return must_find(catalogue(), code)


def here() -> str | None:
    """The site of the asking kiosk, else the ``site`` query parameter."""
    caller = current_caller()
    if caller is not None and caller.device is not None and caller.device.kind == "kiosk":
        return caller.device.site
    return request.args.get("site") or None


def _limit() -> int:
    return arg_int("limit", 20, 1, 100)


@endpoint(
    "/procedures",
    "GET",
    summary="Catalogue search in citizens' own words, best first: accents, case, spacing, stop "
    "words and one-letter typos ignored, aliases included; an empty q lists the field (or "
    "everything) in catalogue order",
    response=list[ProcedureSummaryOut],
    query=("q", "field", "limit"),
    errors=(422,),
)
def list_procedures() -> Any:
    limit = _limit()
    cat = catalogue()
    if cat is None:
        return jsonify([])
    found = search(cat, request.args.get("q", ""), request.args.get("field"), limit)
    return jsonify([present.summary(cat, p) for p in found])


@endpoint(
    "/procedures/search",
    "GET",
    summary="The same search with its hints: the corrected query when a word was not found as "
    "typed (did_you_mean), and, when nothing matched, the results of a suggested correction "
    "(suggestion_only)",
    response=SearchOut,
    query=("q", "field", "limit"),
    errors=(422,),
)
def search_procedures() -> Any:
    limit = _limit()
    q = request.args.get("q", "")
    cat = catalogue()
    if cat is None:
        return jsonify({"query": q, "results": [], "did_you_mean": None, "suggestion_only": False})
    found = search_with_hints(cat, q, request.args.get("field"), limit)
    return jsonify(
        {
            "query": q,
            "results": [present.summary(cat, p) for p in found.procedures],
            "did_you_mean": found.did_you_mean,
            "suggestion_only": found.suggestion_only,
        }
    )


@endpoint(
    "/procedures/<code>",
    "GET",
    summary="One procedure: its published elements in both languages, fee text, sources, wizard "
    "questions, who may use it and where it is handled in person",
    response=ProcedureOut,
    query=("site",),
    errors=(404,),
)
def get_procedure(code: str) -> Any:
    app = ctx()
    cat, procedure = find(code)
    late = after_cutoff(local(app.clock), app.config.settings.same_day_cutoff)
    body = present.details(
        cat, app.config, procedure, here(), today=business_day(app.clock), after_cutoff=late
    )
    return jsonify(body)


def run_checklist(app: Services, procedure: Procedure, body: ChecklistIn) -> Checklist:
    try:
        return checklist(
            procedure,
            body.answers,
            today=business_day(app.clock),
            pages=body.pages,
            copies=body.copies,
            unsure=body.unsure,
        )
    except ChecklistError as exc:
        raise InvalidInput(
            f"Câu trả lời không khớp với thủ tục: {exc}", en=str(exc), field="answers"
        ) from None


@endpoint(
    "/procedures/<code>/checklist",
    "POST",
    summary="The wizard: yes/no answers, questions answered 'not sure' (and pages/copies for "
    "per-page fees) → papers to prepare and how each travels when filing online, notes, what "
    "each answer would need for an unsure question, and a fee estimate",
    body=ChecklistIn,
    response=ChecklistOut,
    errors=(404, 422),
)
def post_checklist(code: str, body: ChecklistIn) -> Any:
    app = ctx()
    cat, procedure = find(code)
    return jsonify(present.checklist(cat, procedure, run_checklist(app, procedure, body)))
