"""The procedure catalogue as frozen values.

Built only by `kiosk.catalogue.loader.load_catalogue`, which validates every cross reference
first, so code that holds a `Catalogue` may trust it. Vietnamese text the YAML leaves
unsuffixed (`name`, `note`, `result`) carries a `_vi` suffix here.

Nothing here knows about searching: the search index is built from a catalogue by
`kiosk.catalogue.search`, which keeps one index per catalogue object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, cast

OnlineClass = Literal["toan_trinh", "mot_phan", "truc_tiep"]
Channel = Literal["truc_tiep", "buu_chinh", "truc_tuyen"]
FeeUnit = Literal["per_case", "per_copy", "per_dossier"]
FeeKind = Literal["le_phi", "phi", "none"]
FeeInput = Literal["pages", "copies"]
Confidence = Literal["src", "2nd", "mem"]
WhenKind = Literal["always", "yes", "no", "case"]
# How a paper travels when the citizen files online: a scan or photo is uploaded, the portal's
# e-form replaces it, or the original still has to be brought to the counter.
OnlineHandling = Literal["upload", "eform", "counter"]
# The facts of an entry a staff member may flag as not yet confirmed (see `Procedure.unverified`).
Fact = Literal["documents", "fee", "time_limit", "online_class", "steps", "result", "legal_basis"]


class CatalogueError(Exception):
    """The catalogue file is missing, unreadable or invalid. The message names the file, the entry
    and the field of each problem, one per line."""


@dataclass(frozen=True)
class Text:
    """One text in both languages. `en` is None when the catalogue has it only in Vietnamese."""

    vi: str
    en: str | None


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
    dvcqg_url_template: str
    dvcqg_lookup_url: str
    checklist_footer: Text
    # What a citizen reads next to a fact the ward has not yet confirmed.
    check_at_counter: Text
    # An entry whose sources were last read longer ago than this is due for review.
    review_after_days: int
    # Needed only when some procedure sets `vertical_sector: true`.
    dvcqg_nganh_doc_url_template: str | None = None
    # What the guide's first screen offers until it knows what is looked at most.
    featured: tuple[str, ...] = ()


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
    online: OnlineHandling
    note_vi: str | None = None
    note_en: str | None = None
    case_en: str | None = None

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

    def in_force(self, day: date) -> bool:
        """`day` inside [valid_from, valid_to] (inclusive; a missing end is open)."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to

    def applies(self, answer: bool, today: date) -> bool:
        """Same answer, and `today` inside the case's window."""
        return answer is self.answer and self.in_force(today)


@dataclass(frozen=True)
class ByAnswer:
    """The fee depends on one wizard answer; `yes`/`no` say in a few words what each answer
    means, for the fee text ("Đăng ký trong 60 ngày" / "Registered within 60 days")."""

    question: str
    cases: tuple[FeeCase, ...]
    default_vnd: int | None
    yes: Text
    no: Text
    inputs: tuple[FeeInput, ...] = ()
    kind: Literal["by_answer"] = "by_answer"

    def amount(self, answer: bool, day: date) -> int | None:
        """The amount for `answer` on `day`: the first case in force, else the default."""
        case = next((c for c in self.cases if c.applies(answer, day)), None)
        return self.default_vnd if case is None else case.amount_vnd

    def label(self, answer: bool) -> Text:
        return self.yes if answer else self.no


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
    """Exactly one of `amount_vnd` (None = unknown or varies) and `rule` is meaningful.

    `kind` is what the law calls the charge: *lệ phí* (a registration charge), *phí* (a service
    charge such as certification or copies), or `none` when nothing is charged at all. The
    citizen's fee text is generated from these values (`kiosk.catalogue.fees`), never written by
    hand, so it cannot disagree with the computed amount."""

    kind: FeeKind
    amount_vnd: int | None
    rule: FeeRule | None
    unit: FeeUnit
    exemptions: tuple[ExemptionGroup, ...]
    basis: Text | None
    note: Text | None

    @property
    def inputs(self) -> tuple[FeeInput, ...]:
        """Numeric inputs the guide should ask for to estimate the fee."""
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
class LegalBasis:
    """A legal text: its Vietnamese citation and what it is, in a few words, in English."""

    ref: str
    en: str


@dataclass(frozen=True)
class Source:
    """Where facts of an entry were read, when, and which facts it supports."""

    url: str
    checked_on: date
    covers: tuple[str, ...]
    via: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Unverified:
    """A fact of an entry that is not yet confirmed; `note` tells staff what to check."""

    fact: Fact
    note: str


@dataclass(frozen=True)
class Procedure:
    code: str
    alt_codes: tuple[str, ...]
    name_vi: str
    name_en: str
    aliases: tuple[str, ...]
    field: str
    level: str
    online_class: OnlineClass
    channels: tuple[Channel, ...]
    steps: tuple[Step, ...]
    documents: tuple[Document, ...]
    present_id: bool
    time_limit: TimeLimit
    fee: Fee
    result: Text
    legal_basis: tuple[LegalBasis, ...]
    dvcqg_url: str | None
    counter_group: str
    sources: tuple[Source, ...]
    last_checked: date
    unverified: tuple[Unverified, ...]
    wizard: tuple[Question, ...]
    verified_on: date | None
    confidence: Confidence
    notes_en: str | None
    # Police and other vertical-sector procedures live on the portal's "nganh-doc" page.
    vertical_sector: bool = False
    # Where the citizen goes in person when no counter of the one-stop office handles it.
    handled_at: Text | None = None

    @property
    def verified(self) -> bool:
        """False until ward staff have checked the entry and set `verified_on`."""
        return self.verified_on is not None

    @property
    def fields(self) -> tuple[str, ...]:
        """The field split on "/": "Hộ tịch / Cư trú" belongs to both "Hộ tịch" and "Cư trú"."""
        return tuple(part.strip() for part in self.field.split("/") if part.strip())

    @property
    def name(self) -> Text:
        return Text(self.name_vi, self.name_en)

    def unsure_facts(self) -> frozenset[Fact]:
        """The facts a citizen should check at the counter: those flagged unverified, or every
        published fact while ward staff have not verified the entry at all."""
        return frozenset(u.fact for u in self.unverified)

    def review_due(self, today: date, after_days: int) -> bool:
        """True when the sources were last read more than `after_days` days before `today`."""
        return today - self.last_checked > timedelta(days=after_days)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.wizard if q.id == question_id), None)

    def document(self, document_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == document_id), None)


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Compared by identity (it is loaded once), which also lets other modules key caches on it."""

    source: str
    meta: CatalogueMeta
    fields_en: dict[str, str]
    counter_groups: tuple[CounterGroup, ...]
    fee_exemption_groups: tuple[ExemptionGroup, ...]
    procedures: tuple[Procedure, ...]
    _by_code: dict[str, Procedure] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_code: dict[str, Procedure] = {}
        for procedure in self.procedures:
            for code in procedure.alt_codes:
                by_code.setdefault(code, procedure)
        # Own codes win over alt codes, should a file ever list both.
        by_code.update((p.code, p) for p in self.procedures)
        object.__setattr__(self, "_by_code", by_code)

    def get(self, code: str) -> Procedure | None:
        """The procedure with this code or alt code (surrounding spaces ignored), or None."""
        return self._by_code.get(code.strip())

    def counter_group(self, key: str) -> CounterGroup | None:
        return next((g for g in self.counter_groups if g.key == key), None)

    def exemption_group(self, group_id: str) -> ExemptionGroup | None:
        return next((g for g in self.fee_exemption_groups if g.id == group_id), None)

    def field_name(self, name: str) -> Text:
        """A field ("Hộ tịch", or "Hộ tịch / Cư trú") in both languages."""
        parts = [p.strip() for p in name.split("/") if p.strip()]
        en = [self.fields_en.get(p) for p in parts]
        return Text(name, " / ".join(e for e in en if e) if all(en) else None)
