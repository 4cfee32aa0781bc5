"""The checklist wizard (yes, no and "not sure") for every procedure of the catalogue and every
combination of answers. Fees and their texts are in test_fees.py."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

from kiosk.catalogue import load_catalogue
from kiosk.catalogue.checklist import Checklist, ChecklistError, checklist, wizard_questions
from kiosk.catalogue.model import (
    Procedure,
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
