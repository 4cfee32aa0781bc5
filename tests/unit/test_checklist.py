"""The checklist wizard and fee estimates, for every seeded procedure and every fee rule."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

from kiosk.domain.catalogue import (
    ByAnswer,
    Checklist,
    ChecklistError,
    ExemptionGroup,
    Fee,
    Procedure,
    TieredPerPage,
    checklist,
    estimate_fee,
    load_catalogue,
    wizard_questions,
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
        "want_child_id",
    ]
    question = wizard_questions(get("2.000986"))[0]
    assert question.ask_vi == "Cháu bé dưới 6 tuổi?" and question.ask_en == "Is the child under 6?"


# --- concrete cases ------------------------------------------------------------------------------


def test_birth_registration_with_a_birth_certificate() -> None:
    result = run(
        "1.001193", under_60_days=True, has_birth_cert=True, parents_married=True, vneid2=False
    )
    assert doc_ids(result) == ["to_khai", "giay_chung_sinh"]
    first = result.documents[1]
    assert (first.name_vi, first.original, first.copy) == (
        "Giấy chứng sinh do cơ sở y tế cấp",
        1,
        0,
    )
    assert first.name_en == "Medical birth certificate (Giấy chứng sinh)"
    assert result.fee_vnd == 0 and result.fee_exemptions == ()
    assert (
        result.notes[0].vi == "Đăng ký đúng hạn: miễn lệ phí."
        and result.notes[0].question == "under_60_days"
    )
    case = result.notes[-1]
    assert case.kind == "case" and case.document == "mang_thai_ho"
    assert case.vi == (
        "Văn bản chứng minh việc mang thai hộ: Chỉ khi sinh con nhờ mang thai hộ – cán bộ hướng dẫn"
    )
    assert case.en == "Papers proving surrogacy"
    assert result.complete and result.unanswered == ()


def test_birth_registration_without_a_birth_certificate_and_suggestions() -> None:
    result = run(
        "1.001193", under_60_days=False, has_birth_cert=False, parents_married=False, vneid2=True
    )
    assert doc_ids(result) == ["to_khai", "xac_nhan_viec_sinh"]
    assert result.suggestions == ("1.000689", "2.000986")
    assert result.stopped is None
    assert result.fee_vnd == 5000


def test_a_document_note_is_kept() -> None:
    result = run(
        "1.004873", for_marriage_in_vn=False, married_before=True, filed_by_other=False, vneid2=True
    )
    assert doc_ids(result) == ["to_khai", "giay_to_ly_hon"]
    assert result.documents[1].note_vi == "Chỉ khi cơ sở dữ liệu chưa có thông tin."
    assert result.documents[0].note_vi is None


def test_a_stop_ends_the_wizard_and_ignores_later_answers() -> None:
    result = run(
        "2.000986", child_under_6=True, vneid2=False, has_birth_cert=True, want_child_id=True
    )
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


def test_the_seed_has_tiered_examples() -> None:
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
        get("2.000635"), {"for_self": True, "vneid2_online": online}, today=today, copies=copies
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


def test_by_answer_default_when_no_case_matches() -> None:
    rule = ByAnswer(question="q", cases=(), default_vnd=None)
    fee = Fee(amount_vnd=None, rule=rule, unit="per_case", exemptions=(), basis=None, note_vi=None)
    assert estimate_fee(fee, {"q": True}, today=TODAY) is None


# --- fees: fixed amounts, per copy, unknown, exemptions ------------------------------------------


def test_fixed_amounts() -> None:
    assert run("2.000884", not_signed_yet=True).fee_vnd == 10000
    # per case: copies do not multiply
    assert checklist(get("2.000884"), {}, today=TODAY, copies=3).fee_vnd == 10000
    assert run("1.000894").fee_vnd == 0
    assert checklist(get("2.000908"), {}, today=TODAY, copies=7).fee_vnd == 0
    assert run("1.004873").fee_vnd == 3000


def test_unknown_amount_is_none_with_its_note() -> None:
    result = run("2.000986", child_under_6=True, vneid2=True, has_birth_cert=True)
    assert result.fee_vnd is None
    assert result.fee_note is not None and result.fee_note.startswith("Khai sinh đúng hạn")


def test_per_copy_fixed_amount_is_multiplied() -> None:
    fee = Fee(amount_vnd=8000, rule=None, unit="per_copy", exemptions=(), basis=None, note_vi=None)
    assert estimate_fee(fee, {}, today=TODAY) == 8000
    assert estimate_fee(fee, {}, today=TODAY, copies=3) == 24000
    dossier = Fee(
        amount_vnd=8000, rule=None, unit="per_dossier", exemptions=(), basis=None, note_vi=None
    )
    assert estimate_fee(dossier, {}, today=TODAY, copies=3) == 8000


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
    assert run("2.000986", child_under_6=True).fee_exemptions == groups  # amount unknown
    assert run("2.000884").fee_exemptions == ()  # none listed for this procedure


def test_fee_note_and_unit_come_from_the_catalogue() -> None:
    result = run("2.000815", issued_in_vn=True)
    assert result.fee_unit == "per_copy"
    assert result.fee_note is not None and "tối đa 200.000 đ/bản" in result.fee_note
