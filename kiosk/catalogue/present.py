"""Catalogue values as the plain JSON bodies of the procedures API and the guide. Pure.

Vietnamese text is under the unsuffixed key (``name``, ``note``), English under ``*_en``; an
English key whose value is null means the text exists only in Vietnamese (the page says so).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from kiosk.catalogue.checklist import Alternative, Checklist, ChecklistDocument, Note
from kiosk.catalogue.fees import amount_text, describe_fee
from kiosk.catalogue.guide import (
    can_file_online,
    conditions,
    in_person_places,
    needs_visit,
    to_upload,
)
from kiosk.catalogue.links import code_url, procedure_url
from kiosk.catalogue.model import ByAnswer, Catalogue, ExemptionGroup, Procedure, Text

if TYPE_CHECKING:
    from kiosk.config import Config


def _en(text: str | None) -> str | None:
    """An English name from the configuration: empty means "only in Vietnamese"."""
    return text or None


def bilingual(text: Text) -> dict[str, str | None]:
    return {"vi": text.vi, "en": text.en}


def summary(cat: Catalogue, p: Procedure) -> dict[str, Any]:
    field = cat.field_name(p.field)
    return {
        "code": p.code,
        "name": p.name_vi,
        "field": p.field,
        "online_class": p.online_class,
        "name_en": p.name_en,
        "field_en": field.en,
        "fields": list(p.fields),
        "verified": p.verified,
    }


def _exemptions(groups: tuple[ExemptionGroup, ...]) -> list[dict[str, str]]:
    return [{"id": g.id, "name": g.name_vi, "name_en": g.name_en} for g in groups]


def fee_body(p: Procedure, today: date) -> dict[str, Any]:
    fee, rule = p.fee, p.fee.rule
    described = describe_fee(fee, today)
    out: dict[str, Any] = {
        "kind": "fixed" if rule is None else rule.kind,
        "charge": fee.kind,
        "label": described.label.vi,
        "label_en": described.label.en,
        "amount_vnd": fee.amount_vnd if rule is None else None,
        "unit": fee.unit,
        "inputs": list(fee.inputs),
        "text": [bilingual(line) for line in described.lines],
        "basis": fee.basis.vi if fee.basis else None,
        "basis_en": fee.basis.en if fee.basis else None,
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


def _document(d: ChecklistDocument, uploads: set[str]) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name_vi,
        "name_en": d.name_en,
        "original": d.original,
        "copy": d.copy,
        "online": d.online,
        "note": d.note_vi,
        "note_en": d.note_en,
        "upload": d.id in uploads,
    }


def details(
    cat: Catalogue,
    cfg: Config,
    p: Procedure,
    here: str | None,
    *,
    today: date,
    after_cutoff: bool = False,
) -> dict[str, Any]:
    """Every published element of ``p``, its wizard questions, who may use it, where it is
    handled in person (``here``: the asking kiosk's site, for the remote-ticket flag), its
    sources and what the citizen should check at the counter. ``today`` is the local date the
    fee text is generated for; ``after_cutoff``: it is now past the same-day cut-off."""
    group = cat.counter_group(p.counter_group)
    online = can_file_online(p)
    return {
        **summary(cat, p),
        "alt_codes": list(p.alt_codes),
        "aliases": list(p.aliases),
        "level": p.level,
        "channels": list(p.channels),
        "online": online,
        "steps": [{"vi": s.vi, "en": s.en} for s in p.steps],
        "documents": [
            {
                "id": d.id,
                "name": d.name_vi,
                "name_en": d.name_en,
                "original": d.original,
                "copy": d.copy,
                "when": d.when,
                "online": d.online,
                "upload": online and d.online == "upload",
                "note": d.note_vi,
                "note_en": d.note_en,
                "case": d.case_vi,
                "case_en": d.case_en,
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
        "fee": fee_body(p, today),
        "result": p.result.vi,
        "result_en": p.result.en,
        "legal_basis": [{"ref": b.ref, "en": b.en} for b in p.legal_basis],
        "portal_url": procedure_url(cat, p),
        "counter_group": {"key": group.key, "name": group.name_vi, "name_en": group.name_en}
        if group
        else None,
        "handled_at": bilingual(p.handled_at) if p.handled_at else None,
        "last_checked": p.last_checked.isoformat(),
        "sources": [
            {"url": s.url, "checked_on": s.checked_on.isoformat(), "covers": list(s.covers)}
            for s in p.sources
        ],
        "verified_on": p.verified_on.isoformat() if p.verified_on else None,
        "check_at_counter": sorted(p.unsure_facts()),
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
                "site_name_en": _en(place.site.name_en),
                "service": place.service.code,
                "service_name": place.service.name,
                "service_name_en": _en(place.service.name_en),
                "remote_ticket": place.remote,
            }
            for place in in_person_places(cfg, p, here)
        ],
    }


def _note(n: Note) -> dict[str, Any]:
    return {"vi": n.vi, "en": n.en, "kind": n.kind, "question": n.question, "document": n.document}


def suggestion(cat: Catalogue, code: str) -> dict[str, Any]:
    known = cat.get(code)
    return {
        "code": code,
        "name": known.name_vi if known else None,
        "name_en": known.name_en if known else None,
        "in_catalogue": known is not None,
        "portal_url": code_url(cat, code),
    }


def _alternative(cat: Catalogue, p: Procedure, alt: Alternative) -> dict[str, Any]:
    uploads = {d.id for o in alt.outcomes for d in to_upload(p, o.documents)}
    return {
        "question": alt.question,
        "ask": alt.ask_vi,
        "ask_en": alt.ask_en,
        "fee_depends": alt.fee_depends,
        "outcomes": [
            {
                "answer": o.answer,
                "documents": [_document(d, uploads) for d in o.documents],
                "notes": [_note(n) for n in o.notes],
                "stop": o.stop,
                "suggestion": suggestion(cat, o.suggest_procedure) if o.suggest_procedure else None,
                "fee_vnd": o.fee_vnd,
                "fee_text": bilingual(amount_text(p.fee, o.fee_vnd)) if alt.fee_depends else None,
            }
            for o in alt.outcomes
        ],
    }


def checklist(cat: Catalogue, p: Procedure, c: Checklist) -> dict[str, Any]:
    """The wizard's result: papers (``upload``: scan or photograph it to file online;
    ``online``: how the paper travels when filing online), notes, fee estimate, what each
    answer would need for a question answered "not sure", and ``stopped`` when an answer
    showed the procedure does not apply."""
    uploads = {d.id for d in to_upload(p, c.documents)}
    stopped = None
    if c.stopped is not None:
        stopped = {
            "question": c.stopped.question,
            "answer": c.stopped.answer,
            "suggestion": suggestion(cat, c.stopped.suggest_procedure)
            if c.stopped.suggest_procedure
            else None,
        }
    return {
        "procedure": c.procedure,
        "documents": [_document(d, uploads) for d in c.documents],
        "notes": [_note(n) for n in c.notes],
        "fee_vnd": c.fee_vnd,
        "fee_text": bilingual(amount_text(p.fee, c.fee_vnd)),
        "fee_unit": c.fee_unit,
        "fee_inputs": list(c.fee_inputs),
        "fee_exemptions": _exemptions(c.fee_exemptions),
        "present_id": c.present_id,
        "online_class": c.online_class,
        "suggestions": [suggestion(cat, code) for code in c.suggestions],
        "stopped": stopped,
        "unanswered": list(c.unanswered),
        "alternatives": [_alternative(cat, p, a) for a in c.alternatives],
        "complete": c.complete,
    }
