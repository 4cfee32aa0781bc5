"""The procedures API and what the guide does through it at a kiosk: print a
checklist, call a volunteer, take a hall ticket, count anonymous use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.config import ConfigError
from kiosk.domain.clock import FixedClock
from kiosk.domain.guide import usage_counts
from kiosk.domain.printjobs import ClaimedJob
from kiosk.models import PrintJob, Ticket
from tests import escpos_decode
from tests.conftest import Actions, at
from tests.guide_cast import make_app, write_config

FOOTER = "Tài liệu tham khảo, không phải giấy tiếp nhận hồ sơ"
BIRTH, BUNDLE, MARRIAGE, COPY, SIGNATURE = (
    "1.001193",
    "2.000986",
    "1.000894",
    "2.000815",
    "2.000884",
)


@pytest.fixture
def gapp(tmp_path: Path, clock: Any) -> Iterator[Any]:
    app = make_app(tmp_path, clock, write_config(tmp_path / "config"))
    yield app
    app.extensions["motcua"].db.dispose()


@pytest.fixture
def gclient(gapp: Any) -> Any:
    return gapp.test_client()


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app for the tests that only read (search, details, checklists)."""
    base = tmp_path_factory.mktemp("guide")
    app = make_app(base, FixedClock(at("2026-11-25 09:00")), write_config(base / "config"))
    yield app.test_client()
    app.extensions["motcua"].db.dispose()


@pytest.fixture
def actions(gapp: Any, gclient: Any) -> Actions:
    return Actions(gapp, gclient)


@pytest.fixture
def kiosk(actions: Actions) -> str:
    return actions.device("kiosk-point", "kiosk", site="point")


def post(actions: Actions, path: str, body: Any, token: str | None = None) -> Any:
    headers = actions.auth(token) if token else {}
    return actions.client.post(path, json=body, headers=headers)


def error(resp: Any) -> dict[str, Any]:
    return resp.get_json()["error"]  # type: ignore[no-any-return]


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

    assert codes(field="Chứng thực") == [COPY, SIGNATURE, "2.000908"]
    assert codes(field="chung thuc") == codes(field="Chứng thực")
    assert codes(field="Chứng thực", q="chu ky") == [SIGNATURE]
    assert BUNDLE in codes(field="Cư trú")
    assert codes(q="xyzxyz") == [] and codes(field="Không có") == []
    fully = reader.get("/api/v1/procedures", query_string={"q": "muc do 4"}).json
    assert fully and {p["online_class"] for p in fully} == {"toan_trinh"}
    assert len(codes()) == 12 and codes(limit="2", q="ho tich") == codes(q="ho tich")[:2]
    assert error(reader.get("/api/v1/procedures?limit=0"))["code"] == "invalid_input"


def test_details_in_plain_words(reader: Any) -> None:
    p = reader.get(f"/api/v1/procedures/{BIRTH}?site=point").get_json()
    assert (p["name"], p["name_en"], p["field"]) == (
        "Đăng ký khai sinh",
        "Birth registration",
        "Hộ tịch",
    )
    assert p["unverified_label"] == "Thông tin tham khảo, chưa được xác minh"
    assert p["verified"] is False and p["verified_on"] is None
    assert [q["id"] for q in p["wizard"]] == [
        "under_60_days",
        "has_birth_cert",
        "parents_married",
        "vneid2",
    ]
    assert [d["id"] for d in p["documents"]][:2] == ["to_khai", "giay_chung_sinh"]
    assert p["time_limit"]["value"] == 0 and p["time_limit"]["cutoff_15h"] is True
    assert p["fee"]["kind"] == "by_answer" and p["fee"]["question"] == "under_60_days"
    assert p["result"] == "Giấy khai sinh (bản chính)" and "Luật Hộ tịch 2014" in p["legal_basis"]
    assert p["portal_url"].endswith("ma_thu_tuc=1.001193") and p["online"] is True
    assert p["visit_needed"] is True
    # Handled in person by the hall's civil-status service, which takes remote tickets.
    assert [(x["site"], x["service"], x["remote_ticket"]) for x in p["in_person"]] == [
        ("hall", "civil", True)
    ]
    marriage = reader.get(f"/api/v1/procedures/{MARRIAGE}").get_json()
    assert marriage["online_class"] == "mot_phan"
    assert [(c["question"], c["answer"]) for c in marriage["conditions"]] == [
        ("both_vn_residents", True)
    ]
    bundle = reader.get(f"/api/v1/procedures/{BUNDLE}").get_json()
    assert bundle["visit_needed"] is False and bundle["in_person"] == []
    # An alt code finds the same procedure.
    assert reader.get("/api/v1/procedures/3.000722").get_json()["code"] == BUNDLE


def test_checklist_for_birth_registration(reader: Any) -> None:
    url = f"/api/v1/procedures/{BIRTH}/checklist"
    answers = {"under_60_days": True, "has_birth_cert": True, "parents_married": True}
    c = reader.post(url, json={"answers": {**answers, "vneid2": True}}).get_json()
    assert [d["id"] for d in c["documents"]] == ["to_khai", "giay_chung_sinh"]
    # The declaration is the portal's e-form: only the birth certificate is photographed.
    assert [d["id"] for d in c["documents"] if d["upload"]] == ["giay_chung_sinh"]
    assert c["fee_vnd"] == 0 and c["complete"] is True and c["stopped"] is None
    assert [s["code"] for s in c["suggestions"]] == [BUNDLE]
    assert c["suggestions"][0]["in_catalogue"] is True
    assert any(n["kind"] == "case" and n["document"] == "mang_thai_ho" for n in c["notes"])
    late = reader.post(url, json={"answers": {**answers, "under_60_days": False}}).get_json()
    assert late["fee_vnd"] == 5000 and late["unanswered"] == ["vneid2"]
    assert late["complete"] is False
    without = reader.post(url, json={"answers": {"has_birth_cert": False}}).get_json()
    assert [d["id"] for d in without["documents"]] == ["to_khai", "xac_nhan_viec_sinh"]
    assert without["fee_vnd"] is None  # the fee question is unanswered


def test_checklist_for_marriage_stops_for_a_foreign_partner(reader: Any) -> None:
    url = f"/api/v1/procedures/{MARRIAGE}/checklist"
    c = reader.post(url, json={"answers": {"both_vn_residents": False}}).get_json()
    assert c["stopped"]["question"] == "both_vn_residents" and c["documents"] == []
    suggestion = c["stopped"]["suggestion"]
    assert suggestion["code"] == "2.000806" and suggestion["in_catalogue"] is False
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


def test_print_needs_a_kiosk(actions: Actions, kiosk: str) -> None:
    url = f"/api/v1/procedures/{COPY}/checklist/print"
    body = {"answers": {"issued_in_vn": True}}
    assert post(actions, url, body).status_code == 401
    assert post(actions, url, body, actions.user("anna")).status_code == 403
    tablet = actions.device("tab", "counter", site="point", counter=1)
    assert post(actions, url, body, tablet).status_code == 403
    mute = actions.device("kiosk-mute", "kiosk", site="point")
    assert error(post(actions, url, body, mute))["code"] == "conflict"  # no printer


def test_print_enqueues_a_reference_document(gapp: Any, actions: Actions, kiosk: str) -> None:
    url = f"/api/v1/procedures/{COPY}/checklist/print"
    answers = {"issued_in_vn": True, "brought_copies": True, "many_pages": False}
    resp = post(actions, url, {"answers": answers, "pages": 5, "copies": 2}, kiosk)
    assert resp.status_code == 202
    job_id = resp.get_json()["id"]
    m = gapp.extensions["motcua"]
    with m.db.read() as s:
        job = s.get(PrintJob, job_id)
        assert (job.kind, job.printer, job.status, job.ticket_id) == (
            "document",
            "kiosk-point",
            "queued",
            None,
        )
        payload = dict(job.params)
    assert payload["footer"] == FOOTER
    assert payload["title"] == "GIẤY TỜ CẦN CHUẨN BỊ" and COPY in payload["subtitle"]
    assert any("14.000" in line for line in payload["paragraphs"])
    assert payload["qr_url"].endswith("ma_thu_tuc=2.000815")
    status = actions.client.get(f"{url}/{job_id}", headers=actions.auth(kiosk))
    assert status.get_json() == {"id": job_id, "status": "queued"}
    other = actions.device("kiosk-hall", "kiosk", site="hall")
    assert actions.client.get(f"{url}/{job_id}", headers=actions.auth(other)).status_code == 404
    # The worker renders it as a DocumentSlip; decoded, it is one sane image on 80 mm paper.
    from printer.jobs import job_bytes

    spec = _spec(gapp)
    with m.db.read() as s:
        data = job_bytes(
            s, m, ClaimedJob(job_id, "kiosk-point", "document", None, payload, 1), spec, ""
        )
    events = escpos_decode.decode(data)
    image = escpos_decode.stacked_image(events)
    assert image.width == 576 and 600 < image.height < 2500
    assert isinstance(events[-1], escpos_decode.Cut)


def _spec(app: Any) -> Any:
    from kiosk.printing import spec_for

    return spec_for("dummy?profile=TM-T20II", Path(app.instance_path))


def test_print_refuses_a_stopped_wizard_and_a_busy_printer(actions: Actions, kiosk: str) -> None:
    url = f"/api/v1/procedures/{COPY}/checklist/print"
    stopped = post(actions, url, {"answers": {"issued_in_vn": False}}, kiosk)
    assert stopped.status_code == 422
    for _ in range(3):
        assert post(actions, url, {"answers": {"issued_in_vn": True}}, kiosk).status_code == 202
    busy = post(actions, url, {"answers": {"issued_in_vn": True}}, kiosk)
    assert busy.status_code == 429 and error(busy)["retry_after_s"] == 10


# --- a volunteer, a hall ticket -------------------------------------------------------------


def test_calling_a_volunteer_issues_a_help_ticket_seen_live(
    gapp: Any, gclient: Any, actions: Actions, kiosk: str
) -> None:
    sio = gapp.extensions["motcua"].socketio
    staff = actions.user("vol", "staff", site="point")
    live = sio.test_client(gapp, namespace="/live", auth={"token": staff})
    assert live.is_connected("/live")
    resp = post(actions, "/api/v1/guide/volunteer", {"procedure": BIRTH}, kiosk)
    assert resp.status_code == 201
    t = resp.get_json()
    assert (t["site"], t["service"], t["number"], t["procedure"]) == (
        "point",
        "help",
        "H001",
        BIRTH,
    )
    assert t["print"]["status"] == "queued" and t["site_name"] == "Điểm hỗ trợ thử"
    events = [m["args"][0] for m in live.get_received("/live") if m["name"] == "queue"]
    assert {"site": "point", "kind": "TicketIssued", "ticket_id": t["id"]} in events
    live.disconnect(namespace="/live")
    # An unknown procedure code is dropped rather than stored on the ticket.
    other = post(actions, "/api/v1/guide/volunteer", {"procedure": "9.999999"}, kiosk)
    assert other.get_json()["procedure"] is None
    hall_kiosk = actions.device("kiosk-hall", "kiosk", site="hall")
    assert post(actions, "/api/v1/guide/volunteer", {}, hall_kiosk).get_json()["number"] == "H001"
    assert post(actions, "/api/v1/guide/volunteer", {}, actions.user("x")).status_code == 403


def test_hall_ticket_once_per_session_and_kiosk_gap(
    gapp: Any, actions: Actions, kiosk: str, clock: Any
) -> None:
    url = f"/api/v1/procedures/{BIRTH}/hall-ticket"
    actions.client.get("/guide", headers=actions.auth(kiosk))  # a guide session starts
    first = post(actions, url, {}, kiosk)
    assert first.status_code == 201
    t = first.get_json()
    assert (t["site"], t["service"], t["number"], t["procedure"]) == (
        "hall",
        "civil",
        "B001",
        BIRTH,
    )
    assert t["site_name_en"] == "Test hall"
    again = post(actions, url, {}, kiosk)
    assert again.status_code == 409 and error(again)["code"] == "conflict"
    actions.client.get("/guide", headers=actions.auth(kiosk))  # the next citizen
    soon = post(actions, url, {}, kiosk)
    assert soon.status_code == 429 and 0 < error(soon)["retry_after_s"] <= 300
    clock.advance(seconds=301)
    assert post(actions, url, {}, kiosk).status_code == 201
    with gapp.extensions["motcua"].db.read() as s:
        issued = s.scalars(select(Ticket.number).where(Ticket.site == "hall")).all()
    assert issued == ["B001", "B002"]


def test_hall_ticket_rules(tmp_path: Path, clock: Any) -> None:
    app = make_app(tmp_path, clock, write_config(tmp_path / "config", remote=False))
    try:
        actions = Actions(app, app.test_client())
        kiosk = actions.device("kiosk-point", "kiosk", site="point")
        details = actions.client.get(f"/api/v1/procedures/{BIRTH}").get_json()
        assert details["in_person"][0]["remote_ticket"] is False
        refused = post(actions, f"/api/v1/procedures/{BIRTH}/hall-ticket", {}, kiosk)
        assert refused.status_code == 403
        # The bundle is online only: no counter handles it in person.
        assert (
            post(actions, f"/api/v1/procedures/{BUNDLE}/hall-ticket", {}, kiosk).status_code == 403
        )
        # The hall's own kiosk takes a number for its own counter, with no remote limit.
        hall = actions.device("kiosk-hall", "kiosk", site="hall")
        for _ in range(2):
            assert (
                post(actions, f"/api/v1/procedures/{COPY}/hall-ticket", {}, hall).status_code == 201
            )
    finally:
        app.extensions["motcua"].db.dispose()


# --- usage counts, no catalogue, a bad catalogue -------------------------------------------


def test_usage_is_counted_anonymously(gapp: Any, actions: Actions, kiosk: str, clock: Any) -> None:
    assert post(actions, f"/api/v1/procedures/{BIRTH}/views", {"site": "point"}).status_code == 204
    assert post(actions, f"/api/v1/procedures/{BIRTH}/views", {}, kiosk).status_code == 204
    assert post(actions, f"/api/v1/procedures/{COPY}/views", {"site": "hall"}).status_code == 204
    assert post(actions, f"/api/v1/procedures/{COPY}/views", {}).status_code == 422
    assert post(actions, f"/api/v1/procedures/{COPY}/views", {"site": "nowhere"}).status_code == 422
    post(actions, f"/api/v1/procedures/{COPY}/checklist/print", {"answers": {}}, kiosk)
    post(actions, "/api/v1/guide/volunteer", {}, kiosk)
    clock.set(at("2026-11-26 09:00"))
    post(actions, f"/api/v1/procedures/{BIRTH}/views", {}, kiosk)
    with gapp.extensions["motcua"].db.read() as s:
        rows = usage_counts(s, at("2026-11-25 00:00").date(), at("2026-11-26 00:00").date())
    assert [(str(u.day), u.site, u.event, u.procedure, u.count) for u in rows] == [
        ("2026-11-25", "hall", "viewed", COPY, 1),
        ("2026-11-25", "point", "help", None, 1),
        ("2026-11-25", "point", "printed", COPY, 1),
        ("2026-11-25", "point", "viewed", BIRTH, 2),
        ("2026-11-26", "point", "viewed", BIRTH, 1),
    ]


def test_a_config_folder_without_catalogue(client: Any) -> None:
    # tests/cast has no procedures.yaml: the API is empty, the guide says so.
    assert client.get("/api/v1/procedures?q=khai sinh").get_json() == []
    assert client.get(f"/api/v1/procedures/{BIRTH}").status_code == 404
    page = client.get("/guide")
    assert page.status_code == 200 and "Chưa có danh mục thủ tục" in page.text
    assert client.get("/guide/qr/lookup.png").status_code == 404


def test_a_bad_catalogue_stops_start_up(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from kiosk.cli import main

    seed = (Path(__file__).resolve().parents[2] / "config" / "procedures.yaml").read_text()
    broken = seed.replace('name_en: "Birth registration"', 'name_en: ""', 1)
    config = write_config(tmp_path / "config", catalogue=broken)
    with pytest.raises(ConfigError, match=r"procedures\[0\] \(code 1.001193\): name_en"):
        make_app(tmp_path, clock, config)
    monkeypatch.setenv("MOTCUA_CONFIG", str(config))
    monkeypatch.setenv("MOTCUA_INSTANCE", str(tmp_path / "cli"))
    assert main(["init-db"]) == 1
    err = capsys.readouterr().err
    assert "procedures.yaml: procedures[0] (code 1.001193): name_en" in err


def test_openapi_lists_the_procedure_endpoints(reader: Any) -> None:
    from openapi_spec_validator import validate

    doc = reader.get("/api/v1/openapi.json").get_json()
    validate(doc)
    for path, method in [
        ("/api/v1/procedures", "get"),
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
