"""Catalogue values as the plain JSON bodies of the procedures API (docs/interface.md). Pure.

Vietnamese text is under the unsuffixed key (``name``, ``note``), English under ``*_en``, as in
``procedures.yaml``; an element the catalogue has only in Vietnamese has no ``*_en`` key.
"""

from __future__ import annotations

from typing import Any

from kiosk.config import Config
from kiosk.domain.catalogue import (
    ByAnswer,
    Catalogue,
    Checklist,
    ExemptionGroup,
    Note,
    Procedure,
    procedure_url,
    unverified_label,
)
from kiosk.domain.guide import (
    can_file_online,
    code_url,
    conditions,
    in_person_places,
    needs_visit,
    to_upload,
)


def summary(p: Procedure) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name_vi,
        "field": p.field,
        "online_class": p.online_class,
        "name_en": p.name_en,
        "fields": list(p.fields),
        "verified": p.verified,
    }


def _exemptions(groups: tuple[ExemptionGroup, ...]) -> list[dict[str, str]]:
    return [{"id": g.id, "name": g.name_vi, "name_en": g.name_en} for g in groups]


def _fee(p: Procedure) -> dict[str, Any]:
    fee, rule = p.fee, p.fee.rule
    out: dict[str, Any] = {
        "kind": "fixed" if rule is None else rule.kind,
        "amount_vnd": fee.amount_vnd if rule is None else None,
        "unit": fee.unit,
        "inputs": list(fee.inputs),
        "note": fee.note_vi,
        "basis": fee.basis,
        "exemptions": _exemptions(fee.exemptions),
    }
    if isinstance(rule, ByAnswer):
        out["question"] = rule.question
    elif rule is not None:
        out["tiers"] = [
            {"from_page": t.from_page, "to_page": t.to_page, "vnd_per_page": t.vnd_per_page}
            for t in rule.tiers
        ]
        out["max_vnd_per_copy"] = rule.max_vnd_per_copy
    return out


def details(
    cat: Catalogue, cfg: Config, p: Procedure, here: str | None, *, after_cutoff: bool = False
) -> dict[str, Any]:
    """Every published element of ``p``, its wizard questions, who may use it, and where it is
    handled in person (``here``: the asking kiosk's site, for the remote-ticket flag).
    ``after_cutoff``: it is now past the same-day cut-off (``cutoff_warning`` then says whether
    the 15:00 rule concerns this procedure)."""
    group = cat.counter_group(p.counter_group)
    return {
        **summary(p),
        "alt_codes": list(p.alt_codes),
        "level": p.level,
        "channels": list(p.channels),
        "online": can_file_online(p),
        "steps": [{"vi": s.vi, "en": s.en} for s in p.steps],
        "documents": [
            {
                "id": d.id,
                "name": d.name_vi,
                "name_en": d.name_en,
                "original": d.original,
                "copy": d.copy,
                "when": d.when,
                "note": d.note_vi,
            }
            for d in p.documents
        ],
        "present_id": p.present_id,
        "time_limit": {
            "value": p.time_limit.value,
            "unit": p.time_limit.unit,
            "cutoff_15h": p.time_limit.cutoff_15h,
            "note": p.time_limit.note_vi,
            "note_en": p.time_limit.note_en,
        },
        "cutoff_warning": after_cutoff and p.time_limit.cutoff_15h,
        "fee": _fee(p),
        "result": p.result_vi,
        "legal_basis": list(p.legal_basis),
        "portal_url": procedure_url(cat, p),
        "counter_group": {"key": group.key, "name": group.name_vi, "name_en": group.name_en}
        if group
        else None,
        "verified_on": p.verified_on.isoformat() if p.verified_on else None,
        "unverified_label": unverified_label(cat, p),
        "confidence": p.confidence,
        "wizard": [{"id": q.id, "ask": q.ask_vi, "ask_en": q.ask_en} for q in p.wizard],
        "conditions": [
            {"question": c.question, "ask": c.ask_vi, "ask_en": c.ask_en, "answer": c.answer}
            for c in conditions(p)
        ],
        "visit_needed": needs_visit(p),
        "in_person": [
            {
                "site": place.site.code,
                "site_name": place.site.name,
                "site_name_en": place.site.name_en,
                "service": place.service.code,
                "service_name": place.service.name,
                "service_name_en": place.service.name_en,
                "remote_ticket": place.remote,
            }
            for place in in_person_places(cfg, p, here)
        ],
    }


def _note(n: Note) -> dict[str, Any]:
    return {"vi": n.vi, "en": n.en, "kind": n.kind, "question": n.question, "document": n.document}


def _suggestion(cat: Catalogue, code: str) -> dict[str, Any]:
    known = cat.get(code)
    return {
        "code": code,
        "name": known.name_vi if known else None,
        "name_en": known.name_en if known else None,
        "in_catalogue": known is not None,
        "portal_url": code_url(cat, code),
    }


def checklist(cat: Catalogue, p: Procedure, c: Checklist) -> dict[str, Any]:
    """The wizard's result: papers (``upload``: photograph or scan it to file online), notes,
    fee estimate, and, when an answer showed the procedure does not apply, ``stopped``."""
    uploads = {d.id for d in to_upload(p, c.documents)}
    stopped = None
    if c.stopped is not None:
        stopped = {
            "question": c.stopped.question,
            "answer": c.stopped.answer,
            "suggestion": _suggestion(cat, c.stopped.suggest_procedure)
            if c.stopped.suggest_procedure
            else None,
        }
    return {
        "procedure": c.procedure,
        "documents": [
            {
                "id": d.id,
                "name": d.name_vi,
                "name_en": d.name_en,
                "original": d.original,
                "copy": d.copy,
                "note": d.note_vi,
                "upload": d.id in uploads,
            }
            for d in c.documents
        ],
        "notes": [_note(n) for n in c.notes],
        "fee_vnd": c.fee_vnd,
        "fee_unit": c.fee_unit,
        "fee_note": c.fee_note,
        "fee_inputs": list(c.fee_inputs),
        "fee_exemptions": _exemptions(c.fee_exemptions),
        "present_id": c.present_id,
        "online_class": c.online_class,
        "suggestions": [_suggestion(cat, code) for code in c.suggestions],
        "stopped": stopped,
        "unanswered": list(c.unanswered),
        "complete": c.complete,
    }
