"""Request and response models of the procedures API and the guide's kiosk actions.

English keys ending in ``_en`` may be null: the text then exists only in Vietnamese.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StringConstraints

from kiosk.api import schemas

QuestionId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
OnlineClass = Literal["toan_trinh", "mot_phan", "truc_tiep"]


class ChecklistIn(schemas.In):
    answers: Annotated[dict[QuestionId, StrictBool], Field(max_length=20)]
    # Questions answered "Không rõ / Not sure": the result then shows what each answer needs.
    unsure: Annotated[list[QuestionId], Field(max_length=20)] = []
    pages: Annotated[StrictInt, Field(ge=1, le=10000)] | None = None
    copies: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None


class PrintChecklistIn(ChecklistIn):
    lang: Literal["vi", "en"] = "vi"


class ViewIn(schemas.In):
    site: schemas.Code | None = None
    # The local day the view happened, when a kiosk sends it late (it was offline).
    day: date | None = None


class HallTicketIn(schemas.In):
    site: schemas.Code | None = None


class VolunteerIn(schemas.In):
    procedure: schemas.Code | None = None


class BilingualOut(schemas.Out):
    vi: str
    en: str | None


class ProcedureSummaryOut(schemas.Out):
    code: str
    name: str
    field: str
    online_class: OnlineClass
    name_en: str
    field_en: str | None
    fields: list[str]
    verified: bool


class SearchOut(schemas.Out):
    query: str
    results: list[ProcedureSummaryOut]
    did_you_mean: str | None
    suggestion_only: bool


class StepOut(schemas.Out):
    vi: str
    en: str


class DocumentOut(schemas.Out):
    id: str
    name: str
    name_en: str
    original: int
    copy_: int = Field(alias="copy")
    online: Literal["upload", "eform", "counter"]
    upload: bool
    note: str | None
    note_en: str | None
    when: str | None = None
    case: str | None = None
    case_en: str | None = None


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


class TierOut(schemas.Out):
    from_page: int
    to_page: int | None
    vnd_per_page: int


class FeeOut(schemas.Out):
    kind: Literal["fixed", "by_answer", "tiered_per_page"]
    charge: Literal["le_phi", "phi", "none"]
    label: str
    label_en: str | None
    amount_vnd: int | None
    unit: str
    inputs: list[str]
    text: list[BilingualOut]
    basis: str | None
    basis_en: str | None
    exemptions: list[ExemptionOut]
    question: str | None = None
    tiers: list[TierOut] | None = None
    max_vnd_per_copy: int | None = None


class QuestionOut(schemas.Out):
    id: str
    ask: str
    ask_en: str


class ConditionOut(schemas.Out):
    question: str
    ask: str
    ask_en: str
    answer: bool


class PlaceOut(schemas.Out):
    site: str
    site_name: str
    site_name_en: str | None
    service: str
    service_name: str
    service_name_en: str | None
    remote_ticket: bool


class CounterGroupOut(schemas.Out):
    key: str
    name: str
    name_en: str


class LegalBasisOut(schemas.Out):
    ref: str
    en: str


class SourceOut(schemas.Out):
    url: str
    checked_on: str
    covers: list[str]


class ProcedureOut(ProcedureSummaryOut):
    alt_codes: list[str]
    aliases: list[str]
    level: str
    channels: list[str]
    online: bool
    steps: list[StepOut]
    documents: list[DocumentOut]
    present_id: bool
    time_limit: TimeLimitOut
    cutoff_warning: bool
    fee: FeeOut
    result: str
    result_en: str | None
    legal_basis: list[LegalBasisOut]
    portal_url: str
    counter_group: CounterGroupOut | None
    handled_at: BilingualOut | None
    last_checked: str
    sources: list[SourceOut]
    verified_on: str | None
    check_at_counter: list[str]
    confidence: Literal["src", "2nd", "mem"]
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


class OutcomeOut(schemas.Out):
    answer: bool
    documents: list[DocumentOut]
    notes: list[NoteOut]
    stop: bool
    suggestion: SuggestionOut | None
    fee_vnd: int | None
    fee_text: BilingualOut | None


class AlternativeOut(schemas.Out):
    question: str
    ask: str
    ask_en: str
    fee_depends: bool
    outcomes: list[OutcomeOut]


class StoppedOut(schemas.Out):
    question: str
    answer: bool
    suggestion: SuggestionOut | None


class ChecklistOut(schemas.Out):
    procedure: str
    documents: list[DocumentOut]
    notes: list[NoteOut]
    fee_vnd: int | None
    fee_text: BilingualOut
    fee_unit: str
    fee_inputs: list[str]
    fee_exemptions: list[ExemptionOut]
    present_id: bool
    online_class: OnlineClass
    suggestions: list[SuggestionOut]
    stopped: StoppedOut | None
    unanswered: list[str]
    alternatives: list[AlternativeOut]
    complete: bool


class PrintJobOut(schemas.Out):
    id: int
    status: Literal["queued", "printing", "printed", "failed"]


class GuideTicketOut(schemas.TicketOut):
    site_name: str
    site_name_en: str
    service_name_en: str
