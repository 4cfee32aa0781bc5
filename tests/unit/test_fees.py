"""Fee estimates for every fee rule (tiered per page, by answer with date windows, fixed, per
copy, unknown, exemptions) and the fee texts generated from the rules, so that a text never
contradicts the amount the wizard computes."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.catalogue.checklist import checklist
from kiosk.catalogue.fees import amount_text, describe_fee, estimate_fee, format_vnd
from kiosk.catalogue.model import ByAnswer, ExemptionGroup, Fee, Procedure, Text, TieredPerPage
from tests.unit.test_checklist import CATALOGUE, TODAY, get, no_stop_answers, run

# --- fees: tiered per page -----------------------------------------------------------------------

TIERED = [
    (p, example)
    for p in CATALOGUE.procedures
    if isinstance(p.fee.rule, TieredPerPage)
    for example in p.fee.rule.examples
]


def test_the_catalogue_has_tiered_examples() -> None:
    assert len(TIERED) == 5


@pytest.mark.parametrize(
    ("procedure", "example"), TIERED, ids=[f"{p.code}-{e.pages}p-{e.copies}c" for p, e in TIERED]
)
def test_tiered_examples_from_the_yaml(procedure: Procedure, example: object) -> None:
    pages, copies, total = example.pages, example.copies, example.total_vnd  # type: ignore[attr-defined]
    result = checklist(
        procedure, no_stop_answers(procedure), today=TODAY, pages=pages, copies=copies
    )
    assert result.fee_vnd == total
    assert estimate_fee(procedure.fee, {}, today=TODAY, pages=pages, copies=copies) == total
    assert result.fee_inputs == ("pages", "copies")


@pytest.mark.parametrize(
    ("pages", "copies", "total"),
    [
        (1, None, 2000),  # copies defaults to 1
        (2, 1, 4000),
        (3, 1, 5000),  # first tier full, one page in the open tier
        (197, 1, 199000),
        (198, 1, 200000),  # exactly the cap
        (199, 1, 200000),  # capped
        (10_000, 3, 600000),  # capped per copy, then multiplied
        (4, 5, 30000),
    ],
)
def test_tiered_per_page_more_cases(pages: int, copies: int | None, total: int) -> None:
    result = checklist(get("2.000815"), {}, today=TODAY, pages=pages, copies=copies)
    assert result.fee_vnd == total


def test_tiered_without_pages_is_unknown() -> None:
    assert checklist(get("2.000815"), {}, today=TODAY).fee_vnd is None
    assert checklist(get("2.000815"), {}, today=TODAY, copies=2).fee_vnd is None


def test_tiered_without_a_cap() -> None:
    rule = get("2.000815").fee.rule
    assert isinstance(rule, TieredPerPage)
    uncapped = TieredPerPage(tiers=rule.tiers, max_vnd_per_copy=None, inputs=rule.inputs)
    assert uncapped.per_copy_vnd(250) == 4000 + 248 * 1000


# --- fees: by answer, with date windows ----------------------------------------------------------


@pytest.mark.parametrize(
    ("online", "today", "copies", "fee"),
    [
        (True, date(2026, 8, 14), None, 8000),  # the day before the waiver
        (True, date(2026, 8, 15), None, 0),  # first day, inclusive
        (True, TODAY, 3, 0),
        (True, date(2027, 2, 28), None, 0),  # last day, inclusive
        (True, date(2027, 3, 1), None, 8000),  # after the waiver
        (True, date(2027, 3, 1), 3, 24000),  # per copy
        (False, TODAY, None, 8000),  # the waiver is for online filing only
        (False, TODAY, 2, 16000),
        (False, date(2030, 1, 1), 5, 40000),
    ],
)
def test_extract_copy_fee_window(online: bool, today: date, copies: int | None, fee: int) -> None:
    result = checklist(
        get("2.000635"), {"for_self": True, "online_vneid2": online}, today=today, copies=copies
    )
    assert result.fee_vnd == fee
    assert result.fee_unit == "per_copy" and result.fee_inputs == ("copies",)


@pytest.mark.parametrize(
    ("online", "today", "fee"),
    [
        (True, date(2026, 7, 24), 100000),  # before valid_from: the default
        (True, date(2026, 7, 25), 0),
        (True, date(2040, 1, 1), 0),  # no valid_to: open-ended
        (False, date(2026, 7, 25), 100000),
        (False, date(2020, 1, 1), 100000),
    ],
)
def test_household_business_fee_from_a_date(online: bool, today: date, fee: int) -> None:
    answers = {"household_members": False, "by_proxy": False, "online": online}
    result = checklist(get("1.001612"), answers, today=today, copies=4)
    assert result.fee_vnd == fee  # per dossier: copies is ignored


@pytest.mark.parametrize(
    ("code", "question", "yes_fee", "no_fee"),
    [
        ("1.001193", "under_60_days", 0, 5000),
        ("1.000656", "within_15_days", 0, 5000),
        ("1.004859", "person_under_14", 5000, 25000),
    ],
)
def test_by_answer_without_windows(code: str, question: str, yes_fee: int, no_fee: int) -> None:
    procedure = get(code)
    assert checklist(procedure, {question: True}, today=TODAY).fee_vnd == yes_fee
    assert checklist(procedure, {question: False}, today=TODAY).fee_vnd == no_fee
    # Not answered yet: the fee is not known.
    others = {q.id: True for q in procedure.wizard if q.id != question}
    result = checklist(procedure, others, today=TODAY)
    assert result.fee_vnd is None and result.unanswered == (question,)


def fee(amount: int | None, rule: object = None, unit: str = "per_case") -> Fee:
    return Fee(
        kind="le_phi",
        amount_vnd=amount,
        rule=rule,  # type: ignore[arg-type]
        unit=unit,  # type: ignore[arg-type]
        exemptions=(),
        basis=None,
        note=None,
    )


def test_by_answer_default_when_no_case_matches() -> None:
    rule = ByAnswer(question="q", cases=(), default_vnd=None, yes=Text("a", "a"), no=Text("b", "b"))
    assert estimate_fee(fee(None, rule), {"q": True}, today=TODAY) is None


# --- fees: fixed amounts, per copy, unknown, exemptions ------------------------------------------


def test_fixed_amounts() -> None:
    assert run("2.000884", not_signed_yet=True).fee_vnd == 10000
    # per case: copies do not multiply
    assert checklist(get("2.000884"), {}, today=TODAY, copies=3).fee_vnd == 10000
    assert run("1.000894").fee_vnd == 0
    assert checklist(get("2.000908"), {}, today=TODAY, copies=7).fee_vnd == 0
    assert run("1.004873").fee_vnd == 3000
    assert run("2.001263").fee_vnd == 400000


def test_unknown_amount_is_none() -> None:
    result = run("2.000806", foreign_partner=True)
    assert result.fee_vnd is None
    text = amount_text(get("2.000806").fee, None)
    assert text.vi.startswith("Chưa ước tính được") and text.en is not None


def test_per_copy_fixed_amount_is_multiplied() -> None:
    assert estimate_fee(fee(8000, unit="per_copy"), {}, today=TODAY) == 8000
    assert estimate_fee(fee(8000, unit="per_copy"), {}, today=TODAY, copies=3) == 24000
    assert estimate_fee(fee(8000, unit="per_dossier"), {}, today=TODAY, copies=3) == 8000


def test_exemptions_are_listed_while_a_fee_may_be_due() -> None:
    groups = (
        ExemptionGroup("ho_ngheo", "Thành viên hộ nghèo", "Members of poor households"),
        ExemptionGroup("nguoi_khuyet_tat", "Người khuyết tật", "People with disabilities"),
        ExemptionGroup(
            "gia_dinh_nguoi_co_cong",
            "Gia đình người có công với cách mạng",
            "Families of people with meritorious service",
        ),
    )
    assert run("1.004873").fee_exemptions == groups  # 3,000 đ
    assert run("1.001193", under_60_days=False).fee_exemptions == groups  # late: 5,000 đ
    assert run("1.001193").fee_exemptions == groups  # not known yet
    assert run("1.001193", under_60_days=True).fee_exemptions == ()  # free anyway
    assert run("2.000884").fee_exemptions == ()  # none listed for this procedure


# --- fee texts: generated from the rule, so they never contradict the amount --------------------


def edges(procedure: Procedure) -> list[date]:
    """Days on which a fee case starts or ends, each with its neighbours, plus fixed days."""
    days = {TODAY, date(2026, 3, 1), date(2027, 3, 1), date(2030, 1, 1)}
    rule = procedure.fee.rule
    if isinstance(rule, ByAnswer):
        for case in rule.cases:
            for day in (case.valid_from, case.valid_to):
                if day is not None:
                    days |= {day.fromordinal(day.toordinal() + k) for k in (-1, 0, 1)}
    return sorted(days)


@pytest.mark.parametrize("procedure", CATALOGUE.procedures, ids=lambda p: p.code)
def test_the_fee_text_names_the_amount_the_wizard_computes(procedure: Procedure) -> None:
    rule = procedure.fee.rule
    for day in edges(procedure):
        text = describe_fee(procedure.fee, day)
        label = "Phí" if procedure.fee.kind == "phi" else "Lệ phí"
        if procedure.fee.kind != "none":
            assert text.label.vi == label
        if isinstance(rule, ByAnswer):
            for answer, line in ((True, text.lines[0]), (False, text.lines[1])):
                amount = checklist(procedure, {rule.question: answer}, today=day).fee_vnd
                now = line.vi.split(" đến hết ")[0]
                if amount is None:
                    assert "chưa rõ" in now
                elif amount == 0:
                    assert "miễn" in now
                    assert line.en is not None and "free" in line.en.split(" until ")[0]
                else:
                    per_copy = amount  # copies default to 1
                    assert format_vnd(per_copy) in now, (procedure.code, day, line.vi)
                    assert format_vnd(per_copy, "en") in (line.en or "")
        elif rule is None and procedure.fee.kind != "none":
            amount = procedure.fee.amount_vnd
            first = text.lines[0].vi
            if amount:
                assert format_vnd(amount) in first
            elif amount == 0:
                assert first.startswith("Miễn")
            else:
                assert first.startswith("Chưa rõ")


def test_the_extract_copy_text_says_when_the_waiver_ends() -> None:
    text = describe_fee(get("2.000635").fee, TODAY)
    assert text.label == Text("Phí", "Service fee")  # a copy is a service: phí, not lệ phí
    assert text.lines[0].vi == (
        "Nộp trực tuyến bằng VNeID mức độ 2: miễn phí đến hết 28/02/2027; "
        "từ 01/03/2027: 8.000\u00a0đ/bản."
    )
    after = describe_fee(get("2.000635").fee, date(2027, 3, 1))
    assert after.lines[0].vi == "Nộp trực tuyến bằng VNeID mức độ 2: 8.000\u00a0đ/bản."
    assert (
        checklist(get("2.000635"), {"online_vneid2": True}, today=date(2027, 3, 1)).fee_vnd == 8000
    )


def test_the_household_business_text_before_and_after_the_online_waiver() -> None:
    rule_fee = get("1.001612").fee
    before = describe_fee(rule_fee, date(2026, 7, 1))
    assert before.lines[0].vi == (
        "Nộp trực tuyến: 100.000\u00a0đ đến hết 24/07/2026; từ 25/07/2026: miễn lệ phí."
    )
    assert describe_fee(rule_fee, TODAY).lines[0].vi == "Nộp trực tuyến: miễn lệ phí."
    assert describe_fee(rule_fee, TODAY).lines[1].vi == "Nộp hồ sơ giấy: 100.000\u00a0đ."


def test_certification_and_copies_are_phi_registrations_are_le_phi() -> None:
    for procedure in CATALOGUE.procedures:
        if procedure.field == "Chứng thực" or procedure.code == "2.000635":
            assert procedure.fee.kind == "phi", procedure.code
        if procedure.code in ("1.001193", "1.000894", "1.000656", "1.004873", "1.001612"):
            assert procedure.fee.kind == "le_phi", procedure.code


def test_tiered_text() -> None:
    text = describe_fee(get("2.000815").fee, TODAY)
    assert text.lines[0].vi == (
        "2.000\u00a0đ/trang cho trang 1–2; 1.000\u00a0đ/trang từ trang 3; "
        "tối đa 200.000\u00a0đ/bản."
    )
