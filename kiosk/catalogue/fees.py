"""Fees: the amount for a citizen's answers on a given day, and the fee text, from one rule.

The text a citizen reads about a fee is generated here from the same rule and the same date
that compute the amount, so the two cannot disagree (a rule with an end date says when it
ends; a change that starts later says when it starts). The charge is named as the law names
it: *lệ phí* for a registration, *phí* for a service such as a certified copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from kiosk.catalogue.model import ByAnswer, Fee, FeeKind, FeeUnit, Text, TieredPerPage

_LABEL = {
    "le_phi": Text("Lệ phí", "Registration fee"),
    "phi": Text("Phí", "Service fee"),
    "none": Text("Phí, lệ phí", "Fee"),
}


def fee_label(kind: FeeKind) -> Text:
    """What the charge is called: "Lệ phí" or "Phí" (and in English)."""
    return _LABEL[kind]


def format_vnd(amount: int, lang: str = "vi") -> str:
    """``5000`` → ``"5.000 đ"`` (Vietnamese digit grouping) or ``"5,000 đ"`` in English."""
    grouped = f"{amount:,}"
    return (grouped if lang == "en" else grouped.replace(",", ".")) + "\u00a0đ"


def format_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


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
    Exemptions are not applied: the caller lists them ("miễn cho …").
    """
    count = 1 if copies is None else copies
    rule = fee.rule
    if rule is None:
        amount = fee.amount_vnd
    elif isinstance(rule, ByAnswer):
        if rule.question not in answers:
            return None
        amount = rule.amount(answers[rule.question], today)
    else:
        return None if pages is None else rule.per_copy_vnd(pages) * count
    if amount is None:
        return None
    return amount * count if fee.unit == "per_copy" else amount


def _amount(amount: int | None, kind: FeeKind, unit: FeeUnit) -> Text:
    if amount is None:
        return Text("chưa rõ mức thu, xin hỏi cán bộ", "amount not known, please ask the staff")
    if amount == 0:
        free = "miễn phí" if kind == "phi" else "miễn lệ phí"
        return Text(free, "free")
    per = unit == "per_copy"
    return Text(
        format_vnd(amount) + ("/bản" if per else ""),
        format_vnd(amount, "en") + (" per copy" if per else ""),
    )


def _changes(rule: ByAnswer, answer: bool, day: date) -> list[date]:
    """Days after `day` on which the amount for `answer` may change (case windows' edges)."""
    edges = set()
    for case in rule.cases:
        if case.answer is not answer:
            continue
        if case.valid_from is not None and case.valid_from > day:
            edges.add(case.valid_from)
        if case.valid_to is not None and case.valid_to >= day:
            edges.add(case.valid_to + timedelta(days=1))
    return sorted(edges)


def _answer_line(fee: Fee, rule: ByAnswer, answer: bool, day: date) -> Text:
    now = rule.amount(answer, day)
    text = _amount(now, fee.kind, fee.unit)
    vi, en = text.vi, text.en or text.vi
    for edge in _changes(rule, answer, day):
        later = rule.amount(answer, edge)
        if later == now:
            continue
        last = edge - timedelta(days=1)
        then = _amount(later, fee.kind, fee.unit)
        vi += f" đến hết {format_day(last)}; từ {format_day(edge)}: {then.vi}"
        en += f" until {format_day(last)}; from {format_day(edge)}: {then.en}"
        break
    label = rule.label(answer)
    return Text(f"{label.vi}: {vi}", f"{label.en}: {en}")


def _tiered_line(rule: TieredPerPage) -> Text:
    vi, en = [], []
    for tier in rule.tiers:
        money_vi, money_en = format_vnd(tier.vnd_per_page), format_vnd(tier.vnd_per_page, "en")
        if tier.to_page is None:
            vi.append(f"{money_vi}/trang từ trang {tier.from_page}")
            en.append(f"{money_en} a page from page {tier.from_page}")
        elif tier.to_page == tier.from_page:
            vi.append(f"{money_vi} cho trang {tier.from_page}")
            en.append(f"{money_en} for page {tier.from_page}")
        else:
            vi.append(f"{money_vi}/trang cho trang {tier.from_page}–{tier.to_page}")
            en.append(f"{money_en} a page for pages {tier.from_page}–{tier.to_page}")
    if rule.max_vnd_per_copy is not None:
        vi.append(f"tối đa {format_vnd(rule.max_vnd_per_copy)}/bản")
        en.append(f"at most {format_vnd(rule.max_vnd_per_copy, 'en')} per copy")
    return Text("; ".join(vi) + ".", "; ".join(en) + ".")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


@dataclass(frozen=True)
class FeeText:
    """What a citizen reads about a fee on a given day: its name and one line per case."""

    label: Text
    lines: tuple[Text, ...]


def describe_fee(fee: Fee, day: date) -> FeeText:
    """The fee text in force on `day` (the local date), generated from the rule."""
    rule = fee.rule
    lines: list[Text] = []
    if fee.kind == "none":
        lines.append(Text("Không thu phí, lệ phí.", "No fee is charged."))
    elif rule is None:
        text = _amount(fee.amount_vnd, fee.kind, fee.unit)
        lines.append(Text(_sentence(text.vi), _sentence(text.en or text.vi)))
    elif isinstance(rule, ByAnswer):
        yes, no = _answer_line(fee, rule, True, day), _answer_line(fee, rule, False, day)
        lines += [Text(yes.vi + ".", f"{yes.en}."), Text(no.vi + ".", f"{no.en}.")]
    else:
        lines.append(_tiered_line(rule))
    if fee.exemptions and fee.kind != "none":
        word = "phí" if fee.kind == "phi" else "lệ phí"
        lines.append(
            Text(
                f"Miễn {word} cho: " + ", ".join(g.name_vi for g in fee.exemptions) + ".",
                "Waived for: " + ", ".join(g.name_en for g in fee.exemptions) + ".",
            )
        )
    if fee.note is not None:
        lines.append(fee.note)
    return FeeText(fee_label(fee.kind), tuple(lines))


def amount_text(fee: Fee, amount: int | None) -> Text:
    """A computed amount as the checklist shows it ("Miễn lệ phí", "8.000 đ")."""
    if amount is None:
        return Text(
            "Chưa ước tính được; xem trên cổng hoặc hỏi cán bộ",
            "No estimate; see the portal or ask the staff",
        )
    if amount == 0:
        return Text("Miễn phí" if fee.kind == "phi" else "Miễn lệ phí", "Free")
    return Text(format_vnd(amount), format_vnd(amount, "en"))
