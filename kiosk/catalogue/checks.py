"""Cross-reference checks over a catalogue file whose shape is already valid.

Each problem is one line "<entry>: <field>: <what is wrong>"; the loader adds the file name.
Besides references, two rules keep the citizen's text honest: money amounts live only in fee
rules (a note that names an amount could contradict the computed fee), and a paper's online
handling must fit the procedure's online class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

from kiosk.catalogue.schema import (
    ByAnswerSpec,
    DocumentSpec,
    FileSpec,
    ProcedureSpec,
    QuestionSpec,
    TieredSpec,
    tiered_rule,
)

# A money amount in free text: digits, then đ / đồng / VND ("5.000 đ", "100000đ", "8,000 VND").
_AMOUNT = re.compile(r"\d[\d.,]*\s?(?:đồng|đ|vnd)(?![\w])", re.IGNORECASE)


def problems(data: FileSpec, label: Callable[[int], str]) -> Iterator[str]:
    """Every broken cross reference in `data`; `label(i)` names procedure i."""
    meta = data.catalogue
    owners: dict[str, str] = {}
    for index, proc in enumerate(data.procedures):
        where = label(index)
        for code, field in [(proc.code, "code")] + [(c, "alt_codes") for c in proc.alt_codes]:
            if code in owners and owners[code] != where:
                yield f"{where}: {field}: {code} is already used by {owners[code]}"
            elif code in owners:
                yield f"{where}: {field}: {code} is listed twice"
            owners[code] = where
    for i, code in enumerate(meta.featured):
        if code not in owners:
            yield f"catalogue.featured[{i}]: {code} is not a procedure of this catalogue"
    for index, proc in enumerate(data.procedures):
        where = label(index)
        yield from (f"{where}: {problem}" for problem in _procedure_problems(proc, data))
        yield from (f"{where}: {problem}" for problem in _text_problems(proc))
        yield from (f"{where}: {problem}" for problem in _trust_problems(proc))
        if proc.vertical_sector and meta.dvcqg_nganh_doc_url_template is None:
            yield (
                f"{where}: vertical_sector: needs catalogue.dvcqg_nganh_doc_url_template "
                "(the portal's nganh-doc page)"
            )


def _procedure_problems(proc: ProcedureSpec, data: FileSpec) -> Iterator[str]:
    questions = {q.id: q for q in proc.wizard}
    yield from _repeated("wizard", [q.id for q in proc.wizard])
    yield from _repeated("documents", [d.id for d in proc.documents])
    for i, doc in enumerate(proc.documents):
        yield from _when_problems(f"documents[{i}].when", doc, questions)
        is_case = doc.when.startswith("case:")
        if is_case and doc.case_en is None:
            yield f"documents[{i}].case_en: a case: document needs its text in English too"
        if not is_case and doc.case_en is not None:
            yield f"documents[{i}].case_en: only a case: document has one"
        if (doc.note is None) != (doc.note_en is None):
            yield f"documents[{i}].note_en: note and note_en go together"
    yield from _branch_problems(proc)
    tl = proc.time_limit
    if (tl.note is None) != (tl.note_en is None):
        yield "time_limit.note_en: note and note_en go together"
    if proc.counter_group not in data.counter_groups:
        yield f"counter_group: {proc.counter_group!r} is not a key of counter_groups"
    for part in (p.strip() for p in proc.field.split("/")):
        if part not in data.fields:
            yield f"field: {part!r} is not a key of fields (which gives its English name)"
    yield from _fee_problems(proc, data, questions)
    yield from _url_and_channel_problems(proc)


def _repeated(where: str, ids: list[str]) -> Iterator[str]:
    for i, item in enumerate(ids):
        if item in ids[:i]:
            yield f"{where}[{i}].id: {item!r} is used twice"


def _branch_problems(proc: ProcedureSpec) -> Iterator[str]:
    """A yes:/no: document and the branch that adds it must name each other."""
    documents = {d.id: d for d in proc.documents}
    for i, q in enumerate(proc.wizard):
        if q.if_yes.stop and q.if_no.stop:
            yield f"wizard[{i}]: both answers stop, so the procedure never applies"
        for name, branch in (("if_yes", q.if_yes), ("if_no", q.if_no)):
            at = f"wizard[{i}].{name}"
            want = f"{name.removeprefix('if_')}:{q.id}"
            for k, doc_id in enumerate(branch.add_documents):
                doc = documents.get(doc_id)
                if doc is None:
                    yield f"{at}.add_documents[{k}]: {doc_id!r} names no document"
                elif doc.when != want:
                    yield (
                        f"{at}.add_documents[{k}]: document {doc_id!r} has when {doc.when!r}, "
                        f"not {want!r}"
                    )
            if branch.stop and branch.add_documents:
                yield f"{at}.add_documents: a stop branch adds no documents"
            if len(branch.notes_vi) != len(branch.notes_en):
                yield (
                    f"{at}.notes_en: {len(branch.notes_en)} notes for "
                    f"{len(branch.notes_vi)} in notes_vi"
                )
            if branch.suggest_procedure in (proc.code, *proc.alt_codes):
                yield f"{at}.suggest_procedure: {branch.suggest_procedure} is this procedure itself"
    questions = {q.id: q for q in proc.wizard}
    for i, doc in enumerate(proc.documents):
        kind, _, question_id = doc.when.partition(":")
        question = questions.get(question_id)
        if kind in ("yes", "no") and question is not None:
            name = f"if_{kind}"
            if doc.id not in getattr(question, name).add_documents:
                yield (
                    f"documents[{i}].when: {doc.when!r} but wizard question {question_id!r} "
                    f"does not list {doc.id!r} in its {name}.add_documents"
                )


def _when_problems(at: str, doc: DocumentSpec, questions: dict[str, QuestionSpec]) -> Iterator[str]:
    kind, colon, rest = doc.when.partition(":")
    if doc.when == "always":
        return
    if not colon or kind not in ("yes", "no", "case"):
        yield f"{at}: {doc.when!r} is not always, yes:<question>, no:<question> or case:<text>"
    elif kind == "case" and not rest.strip():
        yield f"{at}: {doc.when!r} needs the text to show after case:"
    elif kind in ("yes", "no") and rest not in questions:
        yield f"{at}: {doc.when!r} names no wizard question"


def _fee_problems(
    proc: ProcedureSpec, data: FileSpec, questions: dict[str, QuestionSpec]
) -> Iterator[str]:
    fee = proc.fee
    if fee.rule is not None and "amount_vnd" in fee.model_fields_set:
        yield "fee: has both amount_vnd and rule; keep one"
    if fee.rule is None and "amount_vnd" not in fee.model_fields_set:
        yield "fee: needs amount_vnd (null = unknown) or rule"
    if fee.kind == "none" and (fee.rule is not None or fee.amount_vnd != 0):
        yield "fee.kind: none (nothing is charged) needs amount_vnd 0 and no rule"
    for k, group in enumerate(fee.exemptions):
        if group not in data.fee_exemption_groups:
            yield f"fee.exemptions[{k}]: {group!r} is not a key of fee_exemption_groups"
        if group in fee.exemptions[:k]:
            yield f"fee.exemptions[{k}]: {group!r} is listed twice"
    rule = fee.rule
    if isinstance(rule, ByAnswerSpec):
        if rule.question not in questions:
            yield f"fee.rule.question: {rule.question!r} names no wizard question"
        if "copies" in rule.inputs and fee.unit != "per_copy":
            yield f"fee.rule.inputs: copies needs unit per_copy, not {fee.unit}"
        for k, case in enumerate(rule.cases):
            if case.valid_from and case.valid_to and case.valid_from > case.valid_to:
                yield (
                    f"fee.rule.cases[{k}].valid_to: {case.valid_to} is before "
                    f"valid_from {case.valid_from}"
                )
    elif isinstance(rule, TieredSpec):
        if fee.unit != "per_copy":
            yield (
                "fee.unit: tiered_per_page is computed per copy, so unit must be per_copy, "
                f"not {fee.unit}"
            )
        if "pages" not in rule.inputs:
            yield "fee.rule.inputs: tiered_per_page needs the pages input"
        yield from _tier_problems(rule)


def _tier_problems(rule: TieredSpec) -> Iterator[str]:
    expected_from = 1
    for k, tier in enumerate(rule.tiers):
        at = f"fee.rule.tiers[{k}]"
        if tier.from_page != expected_from:
            yield (
                f"{at}.from_page: {tier.from_page}, expected {expected_from} (no gaps or overlaps)"
            )
            return
        if tier.to_page is None and k < len(rule.tiers) - 1:
            yield f"{at}.to_page: only the last tier may be open (null)"
            return
        if tier.to_page is not None and tier.to_page < tier.from_page:
            yield f"{at}.to_page: {tier.to_page} is before from_page {tier.from_page}"
            return
        expected_from = (tier.to_page or 0) + 1
    if rule.tiers[-1].to_page is not None:
        yield f"fee.rule.tiers[{len(rule.tiers) - 1}].to_page: the last tier must be open (null)"
        return
    computed = tiered_rule(rule)
    for k, example in enumerate(rule.examples):
        total = computed.per_copy_vnd(example.pages) * example.copies
        if total != example.total_vnd:
            yield (
                f"fee.rule.examples[{k}].total_vnd: {example.total_vnd}, but the tiers give "
                f"{total} for {example.pages} pages x {example.copies} copies"
            )


def _url_and_channel_problems(proc: ProcedureSpec) -> Iterator[str]:
    own_codes = {proc.code, *proc.alt_codes}
    if proc.dvcqg_url is not None:
        linked = parse_qs(urlsplit(proc.dvcqg_url).query).get("ma_thu_tuc", [])
        for code in linked:
            if code not in own_codes:
                yield f"dvcqg_url: links ma_thu_tuc={code}, not this procedure's code"
    for i, doc in enumerate(proc.documents):
        if proc.online_class == "truc_tiep" and doc.online != "counter":
            yield (
                f"documents[{i}].online: {doc.online} but the procedure is in person only "
                "(online_class truc_tiep), so every paper is brought to the counter"
            )
        if proc.online_class == "toan_trinh" and doc.online == "counter":
            yield (
                f"documents[{i}].online: counter but the procedure is fully online "
                "(online_class toan_trinh)"
            )
    online = "truc_tuyen" in proc.channels
    if proc.online_class in ("toan_trinh", "mot_phan") and not online:
        yield f"channels: online_class {proc.online_class} needs truc_tuyen in channels"
    if proc.online_class == "truc_tiep" and online:
        yield "channels: online_class truc_tiep (in person only) cannot list truc_tuyen"
    if len(set(proc.channels)) < len(proc.channels):
        yield "channels: a channel is listed twice"


def _free_texts(proc: ProcedureSpec) -> Iterator[tuple[str, str]]:
    """(where, text) of every free text a citizen may read, except the fee rule itself."""
    if proc.fee.note is not None:
        yield "fee.note.vi", proc.fee.note.vi
        yield "fee.note.en", proc.fee.note.en
    for label, text in (("note", proc.time_limit.note), ("note_en", proc.time_limit.note_en)):
        if text is not None:
            yield f"time_limit.{label}", text
    for i, doc in enumerate(proc.documents):
        for label, value in (("note", doc.note), ("note_en", doc.note_en), ("when", doc.when)):
            if value is not None:
                yield f"documents[{i}].{label}", value
    for i, q in enumerate(proc.wizard):
        for name, branch in (("if_yes", q.if_yes), ("if_no", q.if_no)):
            for k, note in enumerate(branch.notes_vi):
                yield f"wizard[{i}].{name}.notes_vi[{k}]", note
            for k, note in enumerate(branch.notes_en):
                yield f"wizard[{i}].{name}.notes_en[{k}]", note


def _text_problems(proc: ProcedureSpec) -> Iterator[str]:
    for where, text in _free_texts(proc):
        found = _AMOUNT.search(text)
        if found:
            yield (
                f"{where}: names the amount {found.group(0)!r}; amounts belong in the fee rule, "
                "whose text is generated (a hand-written amount can contradict it)"
            )


def _trust_problems(proc: ProcedureSpec) -> Iterator[str]:
    for i, source in enumerate(proc.sources):
        if source.checked_on > proc.last_checked:
            yield (
                f"sources[{i}].checked_on: {source.checked_on} is after last_checked "
                f"{proc.last_checked}; update last_checked"
            )
    facts = [u.fact for u in proc.unverified]
    for i, fact in enumerate(facts):
        if fact in facts[:i]:
            yield f"unverified[{i}].fact: {fact} is listed twice"
