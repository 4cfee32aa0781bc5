"""The checklist wizard: yes / no / not sure answers → papers, notes and a fee estimate. Pure.

A "not sure" answer ("Không rõ") does not guess: the checklist then shows, for that question,
what each answer would need (papers, notes, whether the procedure still applies, the fee).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from kiosk.catalogue.fees import estimate_fee
from kiosk.catalogue.model import (
    Branch,
    ByAnswer,
    Document,
    ExemptionGroup,
    FeeInput,
    FeeUnit,
    OnlineClass,
    OnlineHandling,
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
    online: OnlineHandling
    note_vi: str | None
    note_en: str | None


@dataclass(frozen=True)
class Note:
    """One note in both languages. `kind` "branch" comes from an answer (`question` says which);
    "case" is a `case:` document the officer decides on (`document` says which)."""

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
class Outcome:
    """What one answer to a question the citizen is not sure about would mean."""

    answer: bool
    documents: tuple[ChecklistDocument, ...]
    notes: tuple[Note, ...]
    stop: bool
    suggest_procedure: str | None
    fee_vnd: int | None


@dataclass(frozen=True)
class Alternative:
    question: str
    ask_vi: str
    ask_en: str
    # True when the fee depends on this question (each outcome's fee_vnd then differs).
    fee_depends: bool
    outcomes: tuple[Outcome, Outcome]  # yes, then no


@dataclass(frozen=True)
class Checklist:
    procedure: str
    documents: tuple[ChecklistDocument, ...]
    notes: tuple[Note, ...]
    suggestions: tuple[str, ...]
    fee_vnd: int | None
    fee_unit: FeeUnit
    fee_exemptions: tuple[ExemptionGroup, ...]
    fee_inputs: tuple[FeeInput, ...]
    stopped: Stop | None
    online_class: OnlineClass
    present_id: bool
    unanswered: tuple[str, ...]
    alternatives: tuple[Alternative, ...] = ()

    @property
    def complete(self) -> bool:
        """True when nothing is left to ask: every question answered (or answered "not
        sure"), or the wizard stopped."""
        return self.stopped is not None or not self.unanswered


def wizard_questions(procedure: Procedure) -> tuple[Question, ...]:
    """The procedure's yes/no questions in the order the guide asks them."""
    return procedure.wizard


def _document(d: Document) -> ChecklistDocument:
    return ChecklistDocument(
        d.id, d.name_vi, d.name_en, d.original, d.copy, d.online, d.note_vi, d.note_en
    )


def _notes(question: Question, branch: Branch) -> tuple[Note, ...]:
    return tuple(
        Note(vi, en, question=question.id)
        for vi, en in zip(branch.notes_vi, branch.notes_en, strict=True)
    )


def _check_inputs(
    procedure: Procedure,
    answers: Mapping[str, bool],
    unsure: Collection[str],
    pages: int | None,
    copies: int | None,
) -> None:
    known = {q.id for q in procedure.wizard}
    unknown = sorted(str(key) for key in [*answers, *unsure] if key not in known)
    if unknown:
        raise ChecklistError(
            f"procedure {procedure.code}: unknown question(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(q.id for q in procedure.wizard)}"
        )
    for key, value in answers.items():
        if not isinstance(value, bool):
            raise ChecklistError(f"procedure {procedure.code}: answer to {key} must be true/false")
    both = sorted(set(answers) & set(unsure))
    if both:
        raise ChecklistError(
            f"procedure {procedure.code}: {', '.join(both)} answered and marked not sure"
        )
    for name, number in (("pages", pages), ("copies", copies)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise ChecklistError(f"{name} must be a whole number")
        if number is not None and number < 1:
            raise ChecklistError(f"{name} must be at least 1")


def _alternative(
    procedure: Procedure,
    question: Question,
    answers: Mapping[str, bool],
    today: date,
    pages: int | None,
    copies: int | None,
) -> Alternative:
    rule = procedure.fee.rule
    depends = isinstance(rule, ByAnswer) and rule.question == question.id
    outcomes = []
    for answer in (True, False):
        branch = question.branch(answer)
        fee = None
        if depends:
            fee = estimate_fee(
                procedure.fee,
                {**answers, question.id: answer},
                today=today,
                pages=pages,
                copies=copies,
            )
        outcomes.append(
            Outcome(
                answer=answer,
                documents=tuple(
                    _document(d) for d in procedure.documents if d.id in branch.add_documents
                ),
                notes=_notes(question, branch),
                stop=branch.stop,
                suggest_procedure=branch.suggest_procedure,
                fee_vnd=fee,
            )
        )
    return Alternative(
        question.id, question.ask_vi, question.ask_en, depends, (outcomes[0], outcomes[1])
    )


def checklist(
    procedure: Procedure,
    answers: Mapping[str, bool],
    *,
    today: date,
    pages: int | None = None,
    copies: int | None = None,
    unsure: Collection[str] = (),
) -> Checklist:
    """Evaluate the wizard for `answers` (question id → yes/no) on the local date `today`;
    `unsure` lists the questions the citizen answered "not sure".

    Questions are taken in order. An unanswered question is skipped and listed in `unanswered`;
    its yes:/no: documents stay out, and a fee that depends on it is None. A "not sure"
    question adds an `alternatives` entry instead (what yes and what no would need) and, if
    the fee depends on it, leaves the fee None. The first answered branch with `stop` ends the
    evaluation: the procedure does not apply, so the result has no documents and no fee, only
    that branch's notes and suggestion; answers after it are ignored. Otherwise: `always`
    documents plus those of the answered branches, in catalogue order, each once; branch notes
    in question order, then one note per `case:` document.

    Raises ChecklistError for an unknown question id, a question both answered and marked not
    sure, a non-boolean answer, or pages/copies that are not whole numbers ≥ 1. `pages` and
    `copies` are ignored by fees that do not use them.
    """
    _check_inputs(procedure, answers, unsure, pages, copies)
    added: set[str] = set()
    notes: list[Note] = []
    suggestions: list[str] = []
    unanswered: list[str] = []
    alternatives: list[Alternative] = []
    for question in procedure.wizard:
        if question.id in unsure:
            alternatives.append(_alternative(procedure, question, answers, today, pages, copies))
            continue
        if question.id not in answers:
            unanswered.append(question.id)
            continue
        answer = answers[question.id]
        branch = question.branch(answer)
        branch_notes = _notes(question, branch)
        if branch.stop:
            return Checklist(
                procedure=procedure.code,
                documents=(),
                notes=branch_notes,
                suggestions=(branch.suggest_procedure,) if branch.suggest_procedure else (),
                fee_vnd=None,
                fee_unit=procedure.fee.unit,
                fee_exemptions=(),
                fee_inputs=(),
                stopped=Stop(question.id, answer, branch_notes, branch.suggest_procedure),
                online_class=procedure.online_class,
                present_id=procedure.present_id,
                unanswered=tuple(unanswered),
            )
        added.update(branch.add_documents)
        notes.extend(branch_notes)
        if branch.suggest_procedure and branch.suggest_procedure not in suggestions:
            suggestions.append(branch.suggest_procedure)

    documents = tuple(
        _document(d) for d in procedure.documents if d.when_kind == "always" or d.id in added
    )
    for document in procedure.documents:
        if document.case_vi is not None:
            notes.append(
                Note(
                    f"{document.name_vi}: {document.case_vi}",
                    f"{document.name_en}: {document.case_en or document.case_vi}",
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
        fee_exemptions=() if fee_vnd == 0 else procedure.fee.exemptions,
        fee_inputs=procedure.fee.inputs,
        stopped=None,
        online_class=procedure.online_class,
        present_id=procedure.present_id,
        unanswered=tuple(unanswered),
        alternatives=tuple(alternatives),
    )
