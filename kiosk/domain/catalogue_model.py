"""The procedure catalogue as frozen values.

Built only by `catalogue_loader.load_catalogue`, which validates every cross reference first, so
code that holds a `Catalogue` may trust it. Vietnamese text the YAML leaves unsuffixed (`name`,
`note`, `result`) carries a `_vi` suffix here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, cast

from kiosk.domain.catalogue_search import SearchIndex

OnlineClass = Literal["toan_trinh", "mot_phan", "truc_tiep"]
Channel = Literal["truc_tiep", "buu_chinh", "truc_tuyen"]
FeeUnit = Literal["per_case", "per_copy", "per_dossier"]
FeeInput = Literal["pages", "copies"]
Confidence = Literal["src", "2nd", "mem"]
WhenKind = Literal["always", "yes", "no", "case"]


class CatalogueError(Exception):
    """The catalogue file is missing, unreadable or invalid. The message names the file, the entry
    and the field of each problem, one per line."""


@dataclass(frozen=True)
class CounterGroup:
    key: str
    name_vi: str
    name_en: str
    example_prefix: str | None


@dataclass(frozen=True)
class ExemptionGroup:
    id: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class CatalogueMeta:
    version: int
    jurisdiction: str
    currency: str
    timezone: str
    status: str
    dvcqg_url_template: str
    dvcqg_lookup_url: str
    unverified_label_vi: str
    checklist_footer_vi: str
    # Optional: needed only when some procedure sets `vertical_sector: true`.
    dvcqg_nganh_doc_url_template: str | None = None


@dataclass(frozen=True)
class Step:
    vi: str
    en: str


@dataclass(frozen=True)
class Document:
    id: str
    name_vi: str
    name_en: str
    original: int
    copy: int
    when: str
    note_vi: str | None = None

    @property
    def when_kind(self) -> WhenKind:
        """`always`, `yes`, `no` or `case`: the part of `when` before the colon."""
        return cast(WhenKind, self.when.partition(":")[0])  # the loader checked it

    @property
    def when_question(self) -> str | None:
        """The wizard question id of a `yes:`/`no:` document, else None."""
        head, _, rest = self.when.partition(":")
        return rest if head in ("yes", "no") else None

    @property
    def case_vi(self) -> str | None:
        """The staff-decides text of a `case:` document, else None."""
        head, _, rest = self.when.partition(":")
        return rest if head == "case" else None


@dataclass(frozen=True)
class TimeLimit:
    value: int
    unit: str
    cutoff_15h: bool
    note_vi: str | None
    note_en: str | None


@dataclass(frozen=True)
class FeeCase:
    answer: bool
    amount_vnd: int | None
    valid_from: date | None = None
    valid_to: date | None = None

    def applies(self, answer: bool, today: date) -> bool:
        """Same answer, and `today` inside [valid_from, valid_to] (inclusive, missing = open)."""
        if answer is not self.answer:
            return False
        if self.valid_from is not None and today < self.valid_from:
            return False
        return self.valid_to is None or today <= self.valid_to


@dataclass(frozen=True)
class ByAnswer:
    question: str
    cases: tuple[FeeCase, ...]
    default_vnd: int | None
    inputs: tuple[FeeInput, ...] = ()
    kind: Literal["by_answer"] = "by_answer"


@dataclass(frozen=True)
class Tier:
    from_page: int
    to_page: int | None
    vnd_per_page: int


@dataclass(frozen=True)
class FeeExample:
    pages: int
    copies: int
    total_vnd: int


@dataclass(frozen=True)
class TieredPerPage:
    tiers: tuple[Tier, ...]
    max_vnd_per_copy: int | None
    inputs: tuple[FeeInput, ...]
    examples: tuple[FeeExample, ...] = ()
    kind: Literal["tiered_per_page"] = "tiered_per_page"

    def per_copy_vnd(self, pages: int) -> int:
        """Fee for one copy of `pages` pages: the sum over tiers, capped at max_vnd_per_copy."""
        total = 0
        for tier in self.tiers:
            last = pages if tier.to_page is None else min(pages, tier.to_page)
            if last >= tier.from_page:
                total += (last - tier.from_page + 1) * tier.vnd_per_page
        if self.max_vnd_per_copy is not None:
            total = min(total, self.max_vnd_per_copy)
        return total


FeeRule = ByAnswer | TieredPerPage


@dataclass(frozen=True)
class Fee:
    """Exactly one of `amount_vnd` (None = unknown or varies) and `rule` is meaningful."""

    amount_vnd: int | None
    rule: FeeRule | None
    unit: FeeUnit
    exemptions: tuple[ExemptionGroup, ...]
    basis: str | None
    note_vi: str | None

    @property
    def inputs(self) -> tuple[FeeInput, ...]:
        """Numeric inputs the kiosk should ask for to estimate the fee."""
        return self.rule.inputs if self.rule is not None else ()


@dataclass(frozen=True)
class Branch:
    add_documents: tuple[str, ...] = ()
    notes_vi: tuple[str, ...] = ()
    notes_en: tuple[str, ...] = ()
    suggest_procedure: str | None = None
    stop: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    ask_vi: str
    ask_en: str
    if_yes: Branch
    if_no: Branch

    def branch(self, answer: bool) -> Branch:
        return self.if_yes if answer else self.if_no


@dataclass(frozen=True)
class Procedure:
    code: str
    alt_codes: tuple[str, ...]
    name_vi: str
    name_en: str
    field: str
    level: str
    online_class: OnlineClass | None
    channels: tuple[Channel, ...]
    steps: tuple[Step, ...]
    documents: tuple[Document, ...]
    present_id: bool
    time_limit: TimeLimit
    fee: Fee
    result_vi: str
    legal_basis: tuple[str, ...]
    dvcqg_url: str | None
    counter_group: str
    source_urls: tuple[str, ...]
    wizard: tuple[Question, ...]
    verified_on: date | None
    confidence: Confidence
    notes_en: str | None
    # Police and other vertical-sector procedures live on the portal's "nganh-doc" page.
    vertical_sector: bool = False

    @property
    def verified(self) -> bool:
        """False until ward staff have checked the entry and set `verified_on`."""
        return self.verified_on is not None

    @property
    def fields(self) -> tuple[str, ...]:
        """The field split on "/": "Hộ tịch / Cư trú" belongs to both "Hộ tịch" and "Cư trú"."""
        return tuple(part.strip() for part in self.field.split("/") if part.strip())

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.wizard if q.id == question_id), None)

    def document(self, document_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == document_id), None)


@dataclass(frozen=True)
class Catalogue:
    source: str
    meta: CatalogueMeta
    counter_groups: tuple[CounterGroup, ...]
    fee_exemption_groups: tuple[ExemptionGroup, ...]
    procedures: tuple[Procedure, ...]
    _by_code: dict[str, Procedure] = field(init=False, repr=False, compare=False, hash=False)
    search_index: SearchIndex = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_code: dict[str, Procedure] = {}
        for procedure in self.procedures:
            for code in procedure.alt_codes:
                by_code.setdefault(code, procedure)
        # Own codes win over alt codes, should a file ever list both.
        by_code.update((p.code, p) for p in self.procedures)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "search_index", SearchIndex(self.procedures))

    def get(self, code: str) -> Procedure | None:
        """The procedure with this code or alt code (surrounding spaces ignored), or None."""
        return self._by_code.get(code.strip())

    def counter_group(self, key: str) -> CounterGroup | None:
        return next((g for g in self.counter_groups if g.key == key), None)

    def exemption_group(self, group_id: str) -> ExemptionGroup | None:
        return next((g for g in self.fee_exemption_groups if g.id == group_id), None)
