"""The procedure catalogue: load it, search it, run the checklist wizard, link to the portal.

This module is the public face; the work is done in catalogue_model (values), catalogue_loader
(reading and validation), catalogue_search, catalogue_checklist and textsearch. Everything is
pure: no Flask, no clock (callers pass `today`), no I/O except `load_catalogue`.

Portal deep links: a procedure's own `dvcqg_url` wins. Otherwise the code goes
into `catalogue.dvcqg_url_template`, or, for a procedure marked `vertical_sector: true` (police
and other vertical-sector procedures such as cư trú), into
`catalogue.dvcqg_nganh_doc_url_template`, which the loader then requires.
"""

from __future__ import annotations

from kiosk.domain.catalogue_checklist import (
    Checklist,
    ChecklistDocument,
    ChecklistError,
    Note,
    Stop,
    checklist,
    estimate_fee,
    wizard_questions,
)
from kiosk.domain.catalogue_loader import load_catalogue
from kiosk.domain.catalogue_model import (
    Branch,
    ByAnswer,
    Catalogue,
    CatalogueError,
    CatalogueMeta,
    CounterGroup,
    Document,
    ExemptionGroup,
    Fee,
    FeeCase,
    FeeExample,
    Procedure,
    Question,
    Step,
    Tier,
    TieredPerPage,
    TimeLimit,
)
from kiosk.domain.catalogue_search import ONLINE_CLASS_ALIASES, search

__all__ = [
    "ONLINE_CLASS_ALIASES",
    "DOSSIER_CODE_MAX_LENGTH",
    "Branch",
    "ByAnswer",
    "Catalogue",
    "CatalogueError",
    "CatalogueMeta",
    "Checklist",
    "ChecklistDocument",
    "ChecklistError",
    "CounterGroup",
    "Document",
    "ExemptionGroup",
    "Fee",
    "FeeCase",
    "FeeExample",
    "Note",
    "Procedure",
    "Question",
    "Step",
    "Stop",
    "Tier",
    "TieredPerPage",
    "TimeLimit",
    "checklist",
    "estimate_fee",
    "fields",
    "load_catalogue",
    "lookup_url",
    "normalize_dossier_code",
    "procedure_url",
    "search",
    "unresolved_suggestions",
    "unverified_label",
    "wizard_questions",
]

DOSSIER_CODE_MAX_LENGTH = 40


def fields(catalogue: Catalogue) -> list[tuple[str, int]]:
    """Each field with its number of procedures, in order of first appearance in the catalogue.

    A combined field ("Hộ tịch / Cư trú / Bảo hiểm xã hội") counts once for each part, so the
    counts may add up to more than the number of procedures.
    """
    counts: dict[str, int] = {}
    for procedure in catalogue.procedures:
        for name in procedure.fields:
            counts[name] = counts.get(name, 0) + 1
    return list(counts.items())


def unverified_label(catalogue: Catalogue, procedure: Procedure) -> str | None:
    """The catalogue's "not yet verified" label for an unverified procedure, else None."""
    return None if procedure.verified else catalogue.meta.unverified_label_vi


def procedure_url(catalogue: Catalogue, procedure: Procedure) -> str:
    """The procedure's page on the national portal (see the module docstring for the rules)."""
    if procedure.dvcqg_url:
        return procedure.dvcqg_url
    template = catalogue.meta.dvcqg_url_template
    if procedure.vertical_sector and catalogue.meta.dvcqg_nganh_doc_url_template:
        template = catalogue.meta.dvcqg_nganh_doc_url_template
    return template.replace("{code}", procedure.code)


def lookup_url(catalogue: Catalogue) -> str:
    """The portal page where a citizen looks up a dossier by its code."""
    return catalogue.meta.dvcqg_lookup_url


def unresolved_suggestions(catalogue: Catalogue) -> list[tuple[str, str, str]]:
    """(procedure code, question id, suggested code) for every suggestion that names a procedure
    outside this catalogue. Such codes are legal (e.g. a provincial procedure) and are shown
    with a portal link, but a supervisor may want to add them."""
    missing = []
    for procedure in catalogue.procedures:
        for question in procedure.wizard:
            for branch in (question.if_yes, question.if_no):
                code = branch.suggest_procedure
                if code is not None and catalogue.get(code) is None:
                    missing.append((procedure.code, question.id, code))
    return missing


def normalize_dossier_code(s: str) -> str:
    """Trim and upper-case a typed dossier code (mã hồ sơ), which is otherwise opaque.

    The format is being re-specified (docs/domain.md), so nothing else is checked. Raises
    ValueError when it is empty or longer than DOSSIER_CODE_MAX_LENGTH characters.
    """
    code = s.strip().upper()
    if not code:
        raise ValueError("the dossier code is empty")
    if len(code) > DOSSIER_CODE_MAX_LENGTH:
        raise ValueError(f"the dossier code is longer than {DOSSIER_CODE_MAX_LENGTH} characters")
    return code
