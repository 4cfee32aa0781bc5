"""The checklist wizard: yes/no answers → documents to bring, notes and a fee estimate. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from kiosk.domain.catalogue_model import (
    ByAnswer,
    ExemptionGroup,
    Fee,
    FeeInput,
    FeeUnit,
    OnlineClass,
    Procedure,
    Question,
)


class ChecklistError(ValueError):
    """The answers or numeric inputs do not fit the procedure (the API answers 422)."""


@dataclass(frozen=True)
class ChecklistDocument:
    id: str
    name_vi: str
    name_en: str
    original: int
    copy: int
    note_vi: str | None


@dataclass(frozen=True)
class Note:
    """One note in both languages. `kind` "branch" comes from an answer (`question` says which);
    "case" is a `case:` document the officer decides on (`document` says which; `en` is then just
    the document's English name, and the page should say that it applies only in some cases)."""

    vi: str
    en: str
    kind: Literal["branch", "case"] = "branch"
    question: str | None = None
    document: str | None = None


@dataclass(frozen=True)
class Stop:
    """An answer showed that the procedure does not apply."""

    question: str
    answer: bool
    notes: tuple[Note, ...]
    suggest_procedure: str | None


@dataclass(frozen=True)
class Checklist:
    procedure: str
    documents: tuple[ChecklistDocument, ...]
    notes: tuple[Note, ...]
    suggestions: tuple[str, ...]
    fee_vnd: int | None
    fee_unit: FeeUnit
    fee_note: str | None
    fee_exemptions: tuple[ExemptionGroup, ...]
    fee_inputs: tuple[FeeInput, ...]
    stopped: Stop | None
    online_class: OnlineClass | None
    present_id: bool
    unanswered: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when nothing is left to ask: every question answered, or the wizard stopped."""
        return self.stopped is not None or not self.unanswered


def wizard_questions(procedure: Procedure) -> tuple[Question, ...]:
    """The procedure's yes/no questions in the order the kiosk asks them."""
    return procedure.wizard


def estimate_fee(
    fee: Fee,
    answers: Mapping[str, bool],
    *,
    today: date,
    pages: int | None = None,
    copies: int | None = None,
) -> int | None:
    """The fee in VND, or None when it is unknown or depends on something not yet known
    (an unanswered fee question, or the page count of a per-page fee).

    by_answer: the first case with the same answer and `today` (the local date) inside its
    [valid_from, valid_to] window, else default_vnd. Per-copy fees are multiplied by `copies`
    (default 1); tiered per-page fees are computed per copy, capped, then multiplied.
    Exemptions are not applied: the caller lists them ("miễn phí cho …").
    """
    count = 1 if copies is None else copies
    rule = fee.rule
    if rule is None:
        amount = fee.amount_vnd
    elif isinstance(rule, ByAnswer):
        if rule.question not in answers:
            return None
        answer = answers[rule.question]
        case = next((c for c in rule.cases if c.applies(answer, today)), None)
        amount = rule.default_vnd if case is None else case.amount_vnd
    else:
        return None if pages is None else rule.per_copy_vnd(pages) * count
    if amount is None:
        return None
    return amount * count if fee.unit == "per_copy" else amount


def _check_inputs(
    procedure: Procedure, answers: Mapping[str, bool], pages: int | None, copies: int | None
) -> None:
    known = {q.id for q in procedure.wizard}
    unknown = sorted(str(key) for key in answers if key not in known)
    if unknown:
        raise ChecklistError(
            f"procedure {procedure.code}: unknown question(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(q.id for q in procedure.wizard)}"
        )
    for key, value in answers.items():
        if not isinstance(value, bool):
            raise ChecklistError(f"procedure {procedure.code}: answer to {key} must be true/false")
    for name, number in (("pages", pages), ("copies", copies)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise ChecklistError(f"{name} must be a whole number")
        if number is not None and number < 1:
            raise ChecklistError(f"{name} must be at least 1")


def checklist(
    procedure: Procedure,
    answers: Mapping[str, bool],
    *,
    today: date,
    pages: int | None = None,
    copies: int | None = None,
) -> Checklist:
    """Evaluate the wizard for `answers` (question id → yes/no) on the local date `today`.

    Questions are taken in order. An unanswered question is skipped and listed in `unanswered`;
    its yes:/no: documents stay out, and a fee that depends on it is None. The first answered
    branch with `stop` ends the evaluation: the procedure does not apply, so the result has no
    documents and no fee, only that branch's notes and suggestion; answers after it are ignored.
    Otherwise: `always` documents plus those of the answered branches, in catalogue order, each
    once; branch notes in question order, then one note per `case:` document.

    Raises ChecklistError for an unknown question id, a non-boolean answer, or pages/copies
    that are not whole numbers ≥ 1. `pages` and `copies` are ignored by fees that do not use them.
    """
    _check_inputs(procedure, answers, pages, copies)
    added: set[str] = set()
    notes: list[Note] = []
    suggestions: list[str] = []
    unanswered: list[str] = []
    for question in procedure.wizard:
        if question.id not in answers:
            unanswered.append(question.id)
            continue
        answer = answers[question.id]
        branch = question.branch(answer)
        branch_notes = tuple(
            Note(vi, en, question=question.id)
            for vi, en in zip(branch.notes_vi, branch.notes_en, strict=True)
        )
        if branch.stop:
            stop = Stop(question.id, answer, branch_notes, branch.suggest_procedure)
            return Checklist(
                procedure=procedure.code,
                documents=(),
                notes=branch_notes,
                suggestions=(branch.suggest_procedure,) if branch.suggest_procedure else (),
                fee_vnd=None,
                fee_unit=procedure.fee.unit,
                fee_note=procedure.fee.note_vi,
                fee_exemptions=(),
                fee_inputs=(),
                stopped=stop,
                online_class=procedure.online_class,
                present_id=procedure.present_id,
                unanswered=tuple(unanswered),
            )
        added.update(branch.add_documents)
        notes.extend(branch_notes)
        if branch.suggest_procedure and branch.suggest_procedure not in suggestions:
            suggestions.append(branch.suggest_procedure)

    documents = tuple(
        ChecklistDocument(d.id, d.name_vi, d.name_en, d.original, d.copy, d.note_vi)
        for d in procedure.documents
        if d.when_kind == "always" or d.id in added
    )
    for document in procedure.documents:
        if document.case_vi is not None:
            notes.append(
                Note(
                    f"{document.name_vi}: {document.case_vi}",
                    document.name_en,
                    kind="case",
                    document=document.id,
                )
            )
    fee_vnd = estimate_fee(procedure.fee, answers, today=today, pages=pages, copies=copies)
    return Checklist(
        procedure=procedure.code,
        documents=documents,
        notes=tuple(notes),
        suggestions=tuple(suggestions),
        fee_vnd=fee_vnd,
        fee_unit=procedure.fee.unit,
        fee_note=procedure.fee.note_vi,
        fee_exemptions=() if fee_vnd == 0 else procedure.fee.exemptions,
        fee_inputs=procedure.fee.inputs,
        stopped=None,
        online_class=procedure.online_class,
        present_id=procedure.present_id,
        unanswered=tuple(unanswered),
    )
