"""The procedures API: search in citizens' own words (with did-you-mean hints), details in both
languages, the wizard's checklist and fee, errors, and the OpenAPI description. What the guide
does at a kiosk through the server is in test_guide_api.py; the configured catalogue in
test_catalogue_config.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.domain.clock import FixedClock
from tests.conftest import Actions, at
from tests.guide_cast import actions, error, gapp, gclient, kiosk, make_app, post, write_config

__all__ = ["actions", "gapp", "gclient", "kiosk"]  # the fixtures used here

BIRTH, BUNDLE, MARRIAGE, COPY, SIGNATURE = (
    "1.001193",
    "2.000986",
    "1.000894",
    "2.000815",
    "2.000884",
)


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app for the tests that only read (search, details, checklists)."""
    base = tmp_path_factory.mktemp("guide")
    app = make_app(base, FixedClock(at("2026-11-25 09:00")), write_config(base / "config"))
    yield app.test_client()
    app.extensions["motcua"].db.dispose()


# --- search, details, checklist ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("khai sinh", BIRTH),
        ("khai sính", BIRTH),
        ("KHAISINH", BIRTH),
        ("Đăng ký khai sinh", BIRTH),
        ("khaisihn", BIRTH),
        ("birth", BIRTH),
        ("dang ky ket hon", MARRIAGE),
        ("kết  hôn", MARRIAGE),
        ("dang ky ket hoon", MARRIAGE),
        ("marriage", MARRIAGE),
        ("chung thuc ban sao", COPY),
        ("chứng thực chữ ký", SIGNATURE),
        ("tinh trang hon nhna", "1.004873"),
        ("khai tu", "1.000656"),
        ("trich luc", "2.000635"),
        ("ban sao tu so goc", "2.000908"),
        ("ho kinh doanh", "1.001612"),
        ("khuyet tat", "1.001699"),
        ("cai chinh ho tich", "1.004859"),
        ("1.000894", MARRIAGE),
        ("3.000722", BUNDLE),
    ],
)
def test_search_ignores_accents_case_spacing_and_small_typos(
    reader: Any, q: str, first: str
) -> None:
    resp = reader.get("/api/v1/procedures", query_string={"q": q})
    assert resp.status_code == 200
    found = resp.get_json()
    assert found[0]["code"] == first
    assert set(found[0]) >= {"code", "name", "field", "online_class"}


def test_search_by_field_and_old_levels(reader: Any) -> None:
    def codes(**query: str) -> list[str]:
        return [p["code"] for p in reader.get("/api/v1/procedures", query_string=query).json]

    assert codes(field="Chứng thực")[:3] == [COPY, SIGNATURE, "2.000908"]
    assert codes(field="chung thuc") == codes(field="Chứng thực")
    assert codes(field="Chứng thực", q="chu ky")[0] == SIGNATURE
    assert BUNDLE in codes(field="Cư trú")
    assert codes(q="xyzxyz") == [] and codes(field="Không có") == []
    fully = reader.get("/api/v1/procedures", query_string={"q": "muc do 4"}).json
    assert fully and fully[0]["online_class"] == "toan_trinh"
    assert len(codes()) >= 30 and codes(limit="2", q="ho tich") == codes(q="ho tich")[:2]
    assert error(reader.get("/api/v1/procedures?limit=0"))["code"] == "invalid_input"


def test_details_in_plain_words(reader: Any) -> None:
    p = reader.get(f"/api/v1/procedures/{BIRTH}?site=point").get_json()
    assert (p["name"], p["name_en"], p["field"]) == (
        "Đăng ký khai sinh",
        "Birth registration",
        "Hộ tịch",
    )
    assert p["field_en"] == "Civil status" and p["result_en"] == "Birth certificate (original)"
    assert p["verified"] is False and p["verified_on"] is None
    assert p["last_checked"] == "2026-12-03" and p["sources"][0]["checked_on"] == "2026-12-03"
    assert "fee" in p["check_at_counter"]
    assert [q["id"] for q in p["wizard"]] == [
        "under_60_days",
        "has_birth_cert",
        "parents_married",
        "by_proxy",
        "vneid2",
    ]
    assert [(d["id"], d["online"]) for d in p["documents"]][:2] == [
        ("to_khai", "eform"),
        ("giay_chung_sinh", "upload"),
    ]
    assert p["time_limit"]["value"] == 0 and p["time_limit"]["cutoff_15h"] is True
    assert p["fee"]["kind"] == "by_answer" and p["fee"]["question"] == "under_60_days"
    assert (p["fee"]["charge"], p["fee"]["label"], p["fee"]["label_en"]) == (
        "le_phi",
        "Lệ phí",
        "Registration fee",
    )
    assert p["fee"]["text"][1] == {
        "vi": "Đăng ký quá 60 ngày: 5.000\u00a0đ.",
        "en": "Registered later than 60 days: 5,000\u00a0đ.",
    }
    assert p["result"] == "Giấy khai sinh (bản chính)"
    assert p["legal_basis"][0] == {
        "ref": "Luật Hộ tịch số 60/2014/QH13",
        "en": "Law on Civil Status (2014)",
    }
    assert p["portal_url"].endswith("ma_thu_tuc=1.001193") and p["online"] is True
    assert p["visit_needed"] is False and p["in_person"] == []  # fully online
    marriage = reader.get(f"/api/v1/procedures/{MARRIAGE}?site=point").get_json()
    assert marriage["online_class"] == "mot_phan" and marriage["visit_needed"] is True
    # Handled in person by the hall's civil-status service, which takes remote tickets.
    assert [(x["site"], x["service"], x["remote_ticket"]) for x in marriage["in_person"]] == [
        ("hall", "civil", True)
    ]
    assert marriage["in_person"][0]["service_name_en"] == "Civil status"
    assert [(c["question"], c["answer"]) for c in marriage["conditions"]] == [
        ("both_vn_residents", True)
    ]
    bundle = reader.get(f"/api/v1/procedures/{BUNDLE}").get_json()
    assert bundle["visit_needed"] is False and bundle["in_person"] == []
    # An alt code finds the same procedure.
    assert reader.get("/api/v1/procedures/3.000722").get_json()["code"] == BUNDLE


def test_checklist_for_birth_registration(reader: Any) -> None:
    url = f"/api/v1/procedures/{BIRTH}/checklist"
    answers = {
        "under_60_days": True,
        "has_birth_cert": True,
        "parents_married": True,
        "by_proxy": False,
    }
    c = reader.post(url, json={"answers": {**answers, "vneid2": True}}).get_json()
    assert [d["id"] for d in c["documents"]] == ["to_khai", "giay_chung_sinh"]
    # The declaration is the portal's e-form: only the birth certificate is photographed.
    assert [d["id"] for d in c["documents"] if d["upload"]] == ["giay_chung_sinh"]
    assert c["fee_vnd"] == 0 and c["complete"] is True and c["stopped"] is None
    assert c["fee_text"] == {"vi": "Miễn lệ phí", "en": "Free"}
    assert [s["code"] for s in c["suggestions"]] == [BUNDLE]
    assert c["suggestions"][0]["in_catalogue"] is True
    assert any(n["kind"] == "case" and n["document"] == "mang_thai_ho" for n in c["notes"])
    late = reader.post(url, json={"answers": {**answers, "under_60_days": False}}).get_json()
    assert late["fee_vnd"] == 5000 and late["unanswered"] == ["vneid2"]
    assert late["complete"] is False
    without = reader.post(url, json={"answers": {"has_birth_cert": False}}).get_json()
    assert [d["id"] for d in without["documents"]] == ["to_khai", "xac_nhan_viec_sinh"]
    assert without["fee_vnd"] is None  # the fee question is unanswered
    unsure = reader.post(url, json={"answers": {}, "unsure": ["under_60_days"]}).get_json()
    (alt,) = unsure["alternatives"]
    assert alt["fee_depends"] and [o["fee_vnd"] for o in alt["outcomes"]] == [0, 5000]
    assert alt["outcomes"][1]["fee_text"] == {"vi": "5.000\u00a0đ", "en": "5,000\u00a0đ"}
    both = reader.post(url, json={"answers": {"vneid2": True}, "unsure": ["vneid2"]})
    assert both.status_code == 422


def test_checklist_for_marriage_stops_for_a_foreign_partner(reader: Any) -> None:
    url = f"/api/v1/procedures/{MARRIAGE}/checklist"
    c = reader.post(url, json={"answers": {"both_vn_residents": False}}).get_json()
    assert c["stopped"]["question"] == "both_vn_residents" and c["documents"] == []
    suggestion = c["stopped"]["suggestion"]
    # Since 1 July 2025 the ward registers foreign-element marriages: a procedure of its own.
    assert suggestion["code"] == "2.000806" and suggestion["in_catalogue"] is True
    assert suggestion["name_en"] == "Marriage registration with a foreign element"
    assert suggestion["portal_url"].endswith("ma_thu_tuc=2.000806")
    ok = reader.post(
        url, json={"answers": {"both_vn_residents": True, "married_before": True}}
    ).get_json()
    assert [d["id"] for d in ok["documents"]] == ["to_khai", "giay_to_ly_hon"]
    assert ok["fee_vnd"] == 0


@pytest.mark.parametrize(
    ("pages", "copies", "total"),
    [(1, None, 2000), (2, 3, 12000), (5, 2, 14000), (198, 1, 200000), (250, 2, 400000)],
)
def test_certified_copy_fee_by_pages_and_copies(
    reader: Any, pages: int, copies: int | None, total: int
) -> None:
    body: dict[str, Any] = {"answers": {"issued_in_vn": True}, "pages": pages}
    if copies is not None:
        body["copies"] = copies
    c = reader.post(f"/api/v1/procedures/{COPY}/checklist", json=body).get_json()
    assert c["fee_vnd"] == total and c["fee_inputs"] == ["pages", "copies"]


def test_unknown_codes_are_404(gclient: Any, actions: Actions, kiosk: str) -> None:
    for resp in (
        gclient.get("/api/v1/procedures/9.999999"),
        gclient.post("/api/v1/procedures/9.999999/checklist", json={"answers": {}}),
        post(actions, "/api/v1/procedures/9.999999/checklist/print", {"answers": {}}, kiosk),
        post(actions, "/api/v1/procedures/9.999999/views", {"site": "point"}),
    ):
        assert resp.status_code == 404 and error(resp)["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"answers": {"nope": True}},
        {"answers": {"issued_in_vn": "yes"}},
        {"answers": {"issued_in_vn": 1}},
        {"answers": {}, "pages": 0},
        {"answers": {}, "pages": "3"},
        {"answers": {}, "copies": 2.5},
        {"answers": {}, "extra": 1},
        {"pages": 2},
        ["not", "an", "object"],
    ],
)
def test_bad_answers_are_422(reader: Any, body: Any) -> None:
    resp = reader.post(f"/api/v1/procedures/{COPY}/checklist", json=body)
    assert resp.status_code == 422 and error(resp)["code"] == "invalid_input"


def test_errors_follow_accept_language(reader: Any) -> None:
    resp = reader.get("/api/v1/procedures/9.999999", headers={"Accept-Language": "en"})
    assert error(resp)["message"] == "No procedure '9.999999' in the catalogue."


# --- printing the checklist -------------------------------------------------------------------


def test_openapi_lists_the_procedure_endpoints(reader: Any) -> None:
    from openapi_spec_validator import validate

    doc = reader.get("/api/v1/openapi.json").get_json()
    validate(doc)
    for path, method in [
        ("/api/v1/procedures", "get"),
        ("/api/v1/procedures/search", "get"),
        ("/api/v1/procedures/{code}", "get"),
        ("/api/v1/procedures/{code}/checklist", "post"),
        ("/api/v1/procedures/{code}/checklist/print", "post"),
        ("/api/v1/procedures/{code}/hall-ticket", "post"),
        ("/api/v1/guide/volunteer", "post"),
    ]:
        assert method in doc["paths"][path], (path, method)


def test_the_same_day_cut_off_warning(gclient: Any, clock: Any) -> None:
    def warns(code: str) -> bool:
        return gclient.get(f"/api/v1/procedures/{code}").get_json()["cutoff_warning"]  # type: ignore[no-any-return]

    assert warns(BIRTH) is False  # 09:00
    clock.set(at("2026-11-25 15:00"))
    assert warns(BIRTH) is True and warns(COPY) is True
    assert warns("1.004873") is False  # three working days: the 15:00 rule does not apply


def test_search_with_hints(reader: Any) -> None:
    body = reader.get("/api/v1/procedures/search", query_string={"q": "khaisinh"}).get_json()
    assert body["did_you_mean"] == "khai sinh" and body["suggestion_only"] is False
    assert body["results"][0]["code"] == BIRTH and body["query"] == "khaisinh"
    near = reader.get("/api/v1/procedures/search", query_string={"q": "kew"}).get_json()
    assert near["suggestion_only"] is True and near["results"]
    # The contract's list never returns a guess.
    assert reader.get("/api/v1/procedures", query_string={"q": "kew"}).get_json() == []
    long = reader.get("/api/v1/procedures", query_string={"q": "thủ tục đăng ký kết hôn ở phường"})
    assert long.get_json()[0]["code"] == MARRIAGE


def test_responses_match_their_declared_models(reader: Any) -> None:
    from kiosk.api.procedure_models import (
        ChecklistOut,
        ProcedureOut,
        ProcedureSummaryOut,
        SearchOut,
    )

    for code in [p["code"] for p in reader.get("/api/v1/procedures?limit=100").get_json()]:
        ProcedureOut.model_validate(reader.get(f"/api/v1/procedures/{code}").get_json())
        checklist = reader.post(
            f"/api/v1/procedures/{code}/checklist", json={"answers": {}, "pages": 2}
        ).get_json()
        ChecklistOut.model_validate(checklist)
    for row in reader.get("/api/v1/procedures").get_json():
        ProcedureSummaryOut.model_validate(row)
    SearchOut.model_validate(reader.get("/api/v1/procedures/search?q=khai").get_json())
