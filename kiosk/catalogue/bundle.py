"""Everything the guide page needs to work without the server: the offline bundle. Pure.

The page loads this once and keeps it (the service worker caches it too), then searches,
shows procedures, runs the wizard and computes fees in the browser. It holds the published
elements of every procedure, the full wizard (branches included), the fee rules and the fee
text for each period in which it stays the same, the stop words and the aliases; nothing
about any citizen. `version` changes whenever the catalogue or the site's configuration does,
so a cached copy is replaced as soon as the server is reachable again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from kiosk.catalogue.fees import describe_fee
from kiosk.catalogue.guide import fields
from kiosk.catalogue.links import lookup_url, portal_home_url
from kiosk.catalogue.model import ByAnswer, Catalogue, Procedure
from kiosk.catalogue.present import bilingual, details, suggestion
from kiosk.catalogue.search import ONLINE_CLASS_ALIASES, index_of
from kiosk.catalogue.text import STOP_WORDS

if TYPE_CHECKING:
    from kiosk.config import Config

BUNDLE_FORMAT = 1


def _fee_rule(p: Procedure) -> dict[str, Any] | None:
    rule = p.fee.rule
    if not isinstance(rule, ByAnswer):
        return None
    return {
        "question": rule.question,
        "default_vnd": rule.default_vnd,
        "cases": [
            {
                "answer": c.answer,
                "amount_vnd": c.amount_vnd,
                "valid_from": c.valid_from.isoformat() if c.valid_from else None,
                "valid_to": c.valid_to.isoformat() if c.valid_to else None,
            }
            for c in rule.cases
        ],
    }


def _fee_periods(p: Procedure, today: date) -> list[dict[str, Any]]:
    """The fee text from `today` on, one entry per period in which it stays the same."""
    edges = {today}
    rule = p.fee.rule
    if isinstance(rule, ByAnswer):
        for case in rule.cases:
            if case.valid_from is not None and case.valid_from > today:
                edges.add(case.valid_from)
            if case.valid_to is not None and case.valid_to >= today:
                edges.add(case.valid_to + timedelta(days=1))
    periods: list[dict[str, Any]] = []
    for day in sorted(edges):
        lines = [bilingual(line) for line in describe_fee(p.fee, day).lines]
        if not periods or periods[-1]["text"] != lines:
            periods.append({"from": day.isoformat(), "text": lines})
    return periods


def _wizard(cat: Catalogue, p: Procedure) -> list[dict[str, Any]]:
    out = []
    for q in p.wizard:
        branches = {}
        for name, b in (("yes", q.if_yes), ("no", q.if_no)):
            branches[name] = {
                "add_documents": list(b.add_documents),
                "notes": [
                    {"vi": vi, "en": en} for vi, en in zip(b.notes_vi, b.notes_en, strict=True)
                ],
                "stop": b.stop,
                "suggestion": suggestion(cat, b.suggest_procedure) if b.suggest_procedure else None,
            }
        out.append({"id": q.id, "ask": q.ask_vi, "ask_en": q.ask_en, **branches})
    return out


def guide_bundle(cat: Catalogue, cfg: Config, here: str | None, *, today: date) -> dict[str, Any]:
    """The offline bundle for a guide at site `here` on the local date `today`. The same-day
    cut-off warning is left to the page, which knows the time even when offline."""
    procedures = []
    for p in cat.procedures:
        body = details(cat, cfg, p, here, today=today)
        body["fee"]["rule"] = _fee_rule(p)
        body["fee"]["periods"] = _fee_periods(p, today)
        body["wizard"] = _wizard(cat, p)
        procedures.append(body)
    content: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "site": here,
        "meta": {
            "check_at_counter": bilingual(cat.meta.check_at_counter),
            "checklist_footer": bilingual(cat.meta.checklist_footer),
            "lookup_url": lookup_url(cat),
            "portal_url": portal_home_url(cat),
        },
        "fields": [
            {"name": name, "name_en": cat.field_name(name).en, "count": count}
            for name, count in fields(cat)
        ],
        "search": {
            "stop_words": sorted(STOP_WORDS),
            "online_class_aliases": {k: list(v) for k, v in ONLINE_CLASS_ALIASES.items()},
            "spellings": index_of(cat).spellings,
        },
        "procedures": procedures,
    }
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()[:16]
    return {"version": digest, "today": today.isoformat(), **content}
