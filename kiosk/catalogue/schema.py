"""The shape of `procedures.yaml`, as strict pydantic models (docs/catalogue.md describes it).

Unknown keys are errors and nothing is coerced: an unquoted code such as 1.001193 is a number,
not a string, and is rejected. Keys with a default may be left out; every other key must be
present, though some may be null. Cross references are checked in `kiosk.catalogue.checks`.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from kiosk.catalogue import model as m

_CODE = re.compile(r"\d+\.\d{6}")
_IDENT = re.compile(r"[A-Za-z0-9_]+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _ident(value: str) -> str:
    if not _IDENT.fullmatch(value):
        raise ValueError(f"{value!r} must be letters, digits and _ only")
    return value


def _code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise ValueError(f'{value!r} is not a bare national code like "1.001193"')
    return value


def _https(value: str) -> str:
    if not value.startswith("https://"):
        raise ValueError(f"{value!r} must start with https://")
    return value


def _web(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError(f"{value!r} must be a web address (https:// or http://)")
    return value


def _template(value: str) -> str:
    if "{code}" not in _https(value):
        raise ValueError(f"{value!r} must contain {{code}}")
    return value


def _iso_date(value: object) -> object:
    if isinstance(value, datetime):
        raise ValueError("must be a date YYYY-MM-DD, not a date and time")
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(f"{value!r} is not a date YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None
    return value


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"{value!r} is not a known time zone") from None
    return value


Text = Annotated[str, AfterValidator(_non_blank)]
Ident = Annotated[str, AfterValidator(_ident)]
Code = Annotated[str, AfterValidator(_code)]
Url = Annotated[str, AfterValidator(_https)]
WebUrl = Annotated[str, AfterValidator(_web)]
Template = Annotated[str, AfterValidator(_template)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Count = Annotated[int, Field(ge=0)]
Vnd = Annotated[int, Field(ge=0)]
Page = Annotated[int, Field(ge=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class BilingualSpec(_Spec):
    vi: Text
    en: Text


class MetaSpec(_Spec):
    version: Literal[2]
    jurisdiction: Text
    currency: Literal["VND"]
    timezone: Annotated[str, AfterValidator(_timezone)]
    dvcqg_url_template: Template
    dvcqg_nganh_doc_url_template: Template | None = None
    dvcqg_lookup_url: Url
    checklist_footer: BilingualSpec
    check_at_counter: BilingualSpec
    review_after_days: Annotated[int, Field(ge=1, le=3650)]
    featured: list[Code] = []


class FieldSpec(_Spec):
    en: Text


class CounterGroupSpec(_Spec):
    name_vi: Text
    name_en: Text
    example_prefix: Text | None


class ExemptionSpec(_Spec):
    vi: Text
    en: Text


class StepSpec(_Spec):
    vi: Text
    en: Text


class DocumentSpec(_Spec):
    id: Ident
    name: Text
    name_en: Text
    original: Count
    copy_: Count = Field(alias="copy")  # `copy` would shadow BaseModel.copy
    when: Text
    online: Literal["upload", "eform", "counter"]
    case_en: Text | None = None
    note: Text | None = None
    note_en: Text | None = None


class TimeLimitSpec(_Spec):
    value: Count
    unit: Literal["working_days"]
    cutoff_15h: bool
    note: Text | None
    note_en: Text | None


class FeeCaseSpec(_Spec):
    answer: bool
    amount_vnd: Vnd | None
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None


class ByAnswerSpec(_Spec):
    kind: Literal["by_answer"]
    question: Ident
    label_yes: BilingualSpec
    label_no: BilingualSpec
    cases: Annotated[list[FeeCaseSpec], Field(min_length=1)]
    default_vnd: Vnd | None
    inputs: list[Literal["copies"]] = []


class TierSpec(_Spec):
    from_page: Page
    to_page: Page | None
    vnd_per_page: Vnd


class ExampleSpec(_Spec):
    pages: Page
    copies: Page
    total_vnd: Vnd


class TieredSpec(_Spec):
    kind: Literal["tiered_per_page"]
    tiers: Annotated[list[TierSpec], Field(min_length=1)]
    max_vnd_per_copy: Vnd | None
    inputs: list[Literal["pages", "copies"]]
    examples: list[ExampleSpec] = []


class FeeSpec(_Spec):
    kind: Literal["le_phi", "phi", "none"]
    amount_vnd: Vnd | None = None
    rule: Annotated[ByAnswerSpec | TieredSpec, Field(discriminator="kind")] | None = None
    unit: Literal["per_case", "per_copy", "per_dossier"]
    exemptions: list[Ident]
    basis: BilingualSpec | None
    note: BilingualSpec | None = None


class BranchSpec(_Spec):
    add_documents: list[Ident]
    notes_vi: list[Text]
    notes_en: list[Text]
    suggest_procedure: Code | None = None
    stop: bool = False


class QuestionSpec(_Spec):
    id: Ident
    ask_vi: Text
    ask_en: Text
    if_yes: BranchSpec
    if_no: BranchSpec


class LegalBasisSpec(_Spec):
    ref: Text
    en: Text


class SourceSpec(_Spec):
    url: WebUrl
    checked_on: IsoDate
    covers: Annotated[list[Text], Field(min_length=1)]
    via: WebUrl | None = None
    note: Text | None = None


class UnverifiedSpec(_Spec):
    fact: Literal[
        "documents", "fee", "time_limit", "online_class", "steps", "result", "legal_basis"
    ]
    note: Text


class ProcedureSpec(_Spec):
    code: Code
    alt_codes: list[Code]
    name_vi: Text
    name_en: Text
    aliases: list[Text]
    field: Text
    level: Literal["xa"]
    online_class: Literal["toan_trinh", "mot_phan", "truc_tiep"]
    channels: Annotated[list[Literal["truc_tiep", "buu_chinh", "truc_tuyen"]], Field(min_length=1)]
    steps: Annotated[list[StepSpec], Field(min_length=1)]
    documents: Annotated[list[DocumentSpec], Field(min_length=1)]
    present_id: bool
    time_limit: TimeLimitSpec
    fee: FeeSpec
    result: Text
    result_en: Text
    legal_basis: Annotated[list[LegalBasisSpec], Field(min_length=1)]
    dvcqg_url: Url | None
    counter_group: Text
    sources: Annotated[list[SourceSpec], Field(min_length=1)]
    last_checked: IsoDate
    unverified: list[UnverifiedSpec] = []
    wizard: Annotated[list[QuestionSpec], Field(min_length=2, max_length=5)]
    verified_on: IsoDate | None
    confidence: Literal["src", "2nd", "mem"]
    notes_en: Text | None
    vertical_sector: bool = False
    handled_at: BilingualSpec | None = None


class FileSpec(_Spec):
    catalogue: MetaSpec
    fields: Annotated[dict[Text, FieldSpec], Field(min_length=1)]
    counter_groups: Annotated[dict[Ident, CounterGroupSpec], Field(min_length=1)]
    fee_exemption_groups: dict[Ident, ExemptionSpec]
    procedures: Annotated[list[ProcedureSpec], Field(min_length=1)]


def tiered_rule(spec: TieredSpec) -> m.TieredPerPage:
    """The validated per-page rule as a value (it also computes the fee)."""
    return m.TieredPerPage(
        tiers=tuple(m.Tier(t.from_page, t.to_page, t.vnd_per_page) for t in spec.tiers),
        max_vnd_per_copy=spec.max_vnd_per_copy,
        inputs=tuple(spec.inputs),
        examples=tuple(m.FeeExample(e.pages, e.copies, e.total_vnd) for e in spec.examples),
    )
