"""What staff should check in the catalogue: the entries and facts not yet confirmed. Pure.

`motcua catalogue check` prints this list. Citizens never see it: the guide shows them only a
plain "check at the counter" next to the facts listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from kiosk.catalogue.fees import format_day
from kiosk.catalogue.model import ByAnswer, Catalogue, Procedure

Kind = Literal[
    "not_verified", "verification_old", "sources_old", "fact", "suggestion", "fee_window"
]
# A fee window that ends or starts within this many days is worth a look.
FEE_WINDOW_NOTICE = timedelta(days=60)


@dataclass(frozen=True)
class Finding:
    code: str
    kind: Kind
    detail: str


def unresolved_suggestions(catalogue: Catalogue) -> list[tuple[str, str, str]]:
    """(procedure code, question id, suggested code) for every suggestion that names a procedure
    outside this catalogue. Such codes are legal (the guide then shows a portal QR code), but a
    supervisor may want to add them."""
    missing = []
    for procedure in catalogue.procedures:
        for question in procedure.wizard:
            for branch in (question.if_yes, question.if_no):
                code = branch.suggest_procedure
                if code is not None and catalogue.get(code) is None:
                    missing.append((procedure.code, question.id, code))
    return missing


def _fee_windows(p: Procedure, today: date) -> list[str]:
    rule = p.fee.rule
    if not isinstance(rule, ByAnswer):
        return []
    found = []
    for case in rule.cases:
        if case.valid_to is not None and today - FEE_WINDOW_NOTICE <= case.valid_to:
            if case.valid_to < today + FEE_WINDOW_NOTICE:
                state = "ended" if case.valid_to < today else "ends"
                found.append(
                    f"fee case for answer {case.answer} {state} {format_day(case.valid_to)}"
                )
        if case.valid_from is not None and today <= case.valid_from < today + FEE_WINDOW_NOTICE:
            found.append(f"fee case for answer {case.answer} starts {format_day(case.valid_from)}")
    return found


def review(catalogue: Catalogue, today: date) -> list[Finding]:
    """Every finding, procedure by procedure in catalogue order."""
    after = timedelta(days=catalogue.meta.review_after_days)
    outside = unresolved_suggestions(catalogue)
    findings: list[Finding] = []
    for p in catalogue.procedures:
        if p.verified_on is None:
            findings.append(
                Finding(p.code, "not_verified", f"not yet verified by ward staff ({p.confidence})")
            )
        elif today - p.verified_on > after:
            findings.append(
                Finding(
                    p.code,
                    "verification_old",
                    f"verified {format_day(p.verified_on)}, due again",
                )
            )
        if today - p.last_checked > after:
            findings.append(
                Finding(p.code, "sources_old", f"sources last read {format_day(p.last_checked)}")
            )
        findings += [Finding(p.code, "fact", f"{u.fact}: {u.note}") for u in p.unverified]
        findings += [
            Finding(p.code, "suggestion", f"question {q} suggests {code}, not in the catalogue")
            for code_from, q, code in outside
            if code_from == p.code
        ]
        findings += [Finding(p.code, "fee_window", text) for text in _fee_windows(p, today)]
    return findings


def report(catalogue: Catalogue, today: date, *, everything: bool = False) -> list[str]:
    """The listing as lines: one block per procedure that needs attention, then a summary.
    Unless `everything`, an entry whose only finding is "not verified" is one line."""
    findings = review(catalogue, today)
    lines: list[str] = []
    flagged = 0
    for p in catalogue.procedures:
        mine = [f for f in findings if f.code == p.code]
        if not mine:
            continue
        flagged += 1
        lines.append(f"{p.code}  {p.name_vi}  (last checked {format_day(p.last_checked)})")
        for f in mine:
            if everything or f.kind != "not_verified" or len(mine) == 1:
                lines.append(f"    - {f.detail}")
    total = len(catalogue.procedures)
    unverified = sum(1 for p in catalogue.procedures if p.verified_on is None)
    lines.append(
        f"{flagged} of {total} entries need attention; {unverified} not yet verified by ward staff "
        f"(review after {catalogue.meta.review_after_days} days; today {format_day(today)})"
    )
    return lines
