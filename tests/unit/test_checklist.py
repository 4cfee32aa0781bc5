"""The checklist wizard (yes, no and "not sure"), fee estimates and the generated fee texts,
for every procedure of the catalogue and every fee rule."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

from kiosk.catalogue import load_catalogue
from kiosk.catalogue.checklist import Checklist, ChecklistError, checklist, wizard_questions
from kiosk.catalogue.fees import amount_text, describe_fee, estimate_fee, format_vnd
from kiosk.catalogue.model import (
    ByAnswer,
    ExemptionGroup,
    Fee,
    Procedure,
    Text,
    TieredPerPage,
)

SEED = Path(__file__).resolve().parents[2] / "config" / "procedures.yaml"
CATALOGUE = load_catalogue(SEED)
TODAY = date(2026, 11, 25)


def get(code: str) -> Procedure:
    procedure = CATALOGUE.get(code)
    assert procedure is not None
    return procedure


def run(code: str, today: date = TODAY, **answers: bool) -> Checklist:
    return checklist(get(code), answers, today=today)


def doc_ids(result: Checklist) -> list[str]:
    return [d.id for d in result.documents]


def no_stop_answers(procedure: Procedure) -> dict[str, bool]:
    """Answers that never stop the wizard (the loader forbids questions where both stop)."""
    return {q.id: not q.if_yes.stop for q in procedure.wizard}


# --- every procedure, every combination of answers -----------------------------------------------


def combinations(procedure: Procedure) -> list[dict[str, bool]]:
    """Every mix of yes, no and not yet answered (None is left out of the mapping)."""
    ids = [q.id for q in procedure.wizard]
    result = []
    for values in itertools.product((True, False, None), repeat=len(ids)):
        result.append({i: v for i, v in zip(ids, values, strict=True) if v is not None})
    return result


@pytest.mark.parametrize("procedure", CATALOGUE.procedures, ids=lambda p: p.code)
def test_every_answer_combination_gives_the_documents_of_the_matching_branches(
    procedure: Procedure,
) -> None:
    always = [d.id for d in procedure.documents if d.when == "always"]
    cases = [d.id for d in procedure.documents if d.when.startswith("case:")]
    full = 0
    for answers in combinations(procedure):
        result = checklist(procedure, answers, today=TODAY)
        full += len(answers) == len(procedure.wizard)

        stop_at = next(
            (q for q in procedure.wizard if q.id in answers and q.branch(answers[q.id]).stop), None
        )
        asked = procedure.wizard[: procedure.wizard.index(stop_at)] if stop_at else procedure.wizard
        assert result.unanswered == tuple(q.id for q in asked if q.id not in answers)
        assert result.complete is (stop_at is not None or not result.unanswered)
        assert result.online_class == procedure.online_class
        assert result.present_id == procedure.present_id

        if stop_at is not None:
            branch = stop_at.branch(answers[stop_at.id])
            assert result.stopped is not None
            assert result.stopped.question == stop_at.id
            assert result.stopped.answer is answers[stop_at.id]
            assert result.stopped.suggest_procedure == branch.suggest_procedure
            assert [n.vi for n in result.notes] == list(branch.notes_vi)
            assert [n.en for n in result.notes] == list(branch.notes_en)
            assert result.stopped.notes == result.notes
            assert result.documents == () and result.fee_vnd is None
            continue

        assert result.stopped is None
        expected = list(always)
        for document in procedure.documents:
            kind, _, question = document.when.partition(":")
            if kind in ("yes", "no") and question in answers:
                if answers[question] is (kind == "yes"):
                    expected.append(document.id)
        assert sorted(doc_ids(result)) == sorted(expected)
        assert len(set(doc_ids(result))) == len(result.documents)
        # Catalogue order, whatever the order of the answers.
        order = [d.id for d in procedure.documents]
        assert doc_ids(result) == sorted(doc_ids(result), key=order.index)
        assert set(always) <= set(doc_ids(result))
        assert not set(cases) & set(doc_ids(result))
        assert [n.document for n in result.notes if n.kind == "case"] == cases

        branch_notes = [
            (vi, en)
            for q in procedure.wizard
            if q.id in answers
            for vi, en in zip(
                q.branch(answers[q.id]).notes_vi, q.branch(answers[q.id]).notes_en, strict=True
            )
        ]
        assert [(n.vi, n.en) for n in result.notes if n.kind == "branch"] == branch_notes
        suggested = [
            q.branch(answers[q.id]).suggest_procedure
            for q in procedure.wizard
            if q.id in answers and q.branch(answers[q.id]).suggest_procedure
        ]
        assert list(result.suggestions) == list(dict.fromkeys(suggested))
    assert full == 2 ** len(procedure.wizard)


@pytest.mark.parametrize("procedure", CATALOGUE.procedures, ids=lambda p: p.code)
def test_answer_order_in_the_mapping_does_not_matter(procedure: Procedure) -> None:
    answers = no_stop_answers(procedure)
    reversed_answers = dict(reversed(list(answers.items())))
    assert checklist(procedure, answers, today=TODAY) == checklist(
        procedure, reversed_answers, today=TODAY
    )


def test_wizard_questions_in_order() -> None:
    assert [q.id for q in wizard_questions(get("2.000986"))] == [
        "child_under_6",
        "vneid2",
        "has_birth_cert",
    ]
    question = wizard_questions(get("2.000986"))[0]
    assert question.ask_vi == "Cháu bé dưới 6 tuổi?" and question.ask_en == "Is the child under 6?"


# --- concrete cases ------------------------------------------------------------------------------


def test_birth_registration_with_a_birth_certificate() -> None:
    result = run(
        "1.001193",
        under_60_days=True,
        has_birth_cert=True,
        parents_married=True,
        by_proxy=False,
        vneid2=False,
    )
    assert doc_ids(result) == ["to_khai", "giay_chung_sinh"]
    paper = result.documents[1]
    assert (paper.name_vi, paper.original, paper.copy, paper.online) == (
        "Giấy chứng sinh do cơ sở y tế cấp",
        1,
        0,
        "upload",
    )
    assert result.documents[0].online == "eform"  # the form is the portal's e-form online
    assert paper.name_en == "Medical birth certificate (Giấy chứng sinh)"
    assert result.fee_vnd == 0 and result.fee_exemptions == ()
    assert result.notes[0].vi == "Đăng ký đúng hạn." and result.notes[0].question == "under_60_days"
    case = result.notes[-1]
    assert case.kind == "case" and case.document == "mang_thai_ho"
    assert case.vi.endswith("Chỉ khi trẻ sinh ra nhờ mang thai hộ – cán bộ sẽ hướng dẫn")
    assert case.en == (
        "Confirmation from the clinic that performed the surrogacy: "
        "Only for a child born through surrogacy – the staff will explain"
    )
    assert result.complete and result.unanswered == ()


def test_birth_registration_without_a_birth_certificate_and_suggestions() -> None:
    result = run(
        "1.001193",
        under_60_days=False,
        has_birth_cert=False,
        parents_married=False,
        by_proxy=True,
        vneid2=True,
    )
    assert doc_ids(result) == ["to_khai", "xac_nhan_viec_sinh", "uy_quyen"]
    assert result.suggestions == ("1.000689", "2.000986")
    assert result.stopped is None
    assert result.fee_vnd == 5000


def test_a_document_note_is_kept_in_both_languages() -> None:
    result = run("1.000894", both_vn_residents=True, married_before=True)
    assert doc_ids(result) == ["to_khai", "giay_to_ly_hon"]
    assert (
        result.documents[1].note_vi == "Chỉ cần khi cơ sở dữ liệu chưa có thông tin; cán bộ sẽ báo."
    )
    assert (
        result.documents[1].note_en
        == "Only if the databases lack the information; the staff will say."
    )
    assert result.documents[0].note_vi is None


def test_a_stop_ends_the_wizard_and_ignores_later_answers() -> None:
    result = run("2.000986", child_under_6=True, vneid2=False, has_birth_cert=True)
    assert result.stopped is not None
    assert (result.stopped.question, result.stopped.answer) == ("vneid2", False)
    assert result.stopped.suggest_procedure == "1.001193"
    assert result.suggestions == ("1.001193",)
    assert result.documents == () and result.fee_vnd is None and result.fee_exemptions == ()
    assert result.notes[0].en.startswith("VNeID level 2 is required")
    assert result.complete and result.unanswered == ()


def test_a_stop_without_suggestion() -> None:
    result = run("2.000815", issued_in_vn=False)
    assert result.stopped is not None and result.stopped.suggest_procedure is None
    assert result.suggestions == () and result.unanswered == ()


def test_foreign_element_marriage_is_routed_to_the_ward_procedure() -> None:
    result = run("1.000894", both_vn_residents=False)
    assert result.stopped is not None and result.stopped.suggest_procedure == "2.000806"
    foreign = get("2.000806")
    assert foreign.level == "xa" and foreign.counter_group == "HOTICH"
    assert "01/7/2025" in result.notes[0].vi and "ward" in result.notes[0].en
    assert not any("cấp tỉnh" in n.vi for n in result.notes)


def test_birth_certificate_copies_go_to_the_extract_copy_procedure() -> None:
    assert "bản sao Giấy khai sinh" in get("2.000635").name_vi
    master = run("2.000908", not_civil_status=False)
    assert master.stopped is not None and master.stopped.suggest_procedure == "2.000635"
    lost = run("1.004884", register_lost=False)
    assert lost.stopped is not None and lost.stopped.suggest_procedure == "2.000635"


def test_unanswered_questions_are_listed_and_their_documents_left_out() -> None:
    result = run("1.001699", reassessment=True)
    assert result.unanswered == ("has_medical_records", "filed_by_representative", "can_travel")
    assert doc_ids(result) == ["don_de_nghi", "giay_xac_nhan_cu"]
    assert not result.complete
    empty = run("1.001699")
    assert doc_ids(empty) == ["don_de_nghi"]
    assert empty.unanswered == tuple(q.id for q in get("1.001699").wizard)


def test_an_unanswered_question_before_a_stop_is_still_listed() -> None:
    result = run("2.000986", vneid2=False)
    assert result.stopped is not None and result.unanswered == ("child_under_6",)
    assert result.complete


# --- "not sure" ----------------------------------------------------------------------------------


def test_not_sure_shows_what_each_answer_needs() -> None:
    procedure = get("1.001193")
    result = checklist(
        procedure,
        {"under_60_days": True, "parents_married": True, "by_proxy": False, "vneid2": False},
        today=TODAY,
        unsure=["has_birth_cert"],
    )
    assert result.complete and result.unanswered == ()
    assert doc_ids(result) == ["to_khai"]  # neither branch's paper is assumed
    (alt,) = result.alternatives
    assert alt.question == "has_birth_cert" and not alt.fee_depends
    yes, no = alt.outcomes
    assert (yes.answer, [d.id for d in yes.documents]) == (True, ["giay_chung_sinh"])
    assert (no.answer, [d.id for d in no.documents]) == (False, ["xac_nhan_viec_sinh"])
    assert no.notes and not yes.stop and not no.stop


def test_not_sure_about_the_fee_question_gives_both_amounts() -> None:
    result = checklist(get("1.001193"), {}, today=TODAY, unsure=["under_60_days"])
    assert result.fee_vnd is None
    (alt,) = result.alternatives
    assert alt.fee_depends
    assert [o.fee_vnd for o in alt.outcomes] == [0, 5000]


def test_not_sure_about_a_stopping_question_says_it_may_not_apply() -> None:
    result = checklist(get("1.000894"), {}, today=TODAY, unsure=["both_vn_residents"])
    assert result.stopped is None
    yes, no = result.alternatives[0].outcomes
    assert not yes.stop and no.stop and no.suggest_procedure == "2.000806"


def test_not_sure_and_answered_is_refused() -> None:
    with pytest.raises(ChecklistError, match="answered and marked not sure"):
        checklist(get("1.001193"), {"vneid2": True}, today=TODAY, unsure=["vneid2"])
    with pytest.raises(ChecklistError, match="unknown question"):
        checklist(get("1.001193"), {}, today=TODAY, unsure=["nope"])


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"under_60_days": True, "foo": True}, "unknown question(s) foo"),
        ({"child_under_6": True}, "unknown question(s) child_under_6"),
        ({"under_60_days": "yes"}, "answer to under_60_days must be true/false"),
        ({"under_60_days": 1}, "answer to under_60_days must be true/false"),
        ({"under_60_days": None}, "answer to under_60_days must be true/false"),
    ],
)
def test_bad_answers_raise(answers: dict[str, object], message: str) -> None:
    with pytest.raises(ChecklistError, match=message.replace("(", r"\(").replace(")", r"\)")):
        checklist(get("1.001193"), answers, today=TODAY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pages", "copies"),
    [(0, None), (-1, None), (None, 0), (None, -3), (True, None), (2.5, None), (None, "2")],
)
def test_bad_numbers_raise(pages: object, copies: object) -> None:
    with pytest.raises(ChecklistError):
        checklist(get("2.000815"), {}, today=TODAY, pages=pages, copies=copies)  # type: ignore[arg-type]


def test_checklist_error_is_a_value_error() -> None:
    assert issubclass(ChecklistError, ValueError)


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
