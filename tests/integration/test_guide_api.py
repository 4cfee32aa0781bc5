"""What the guide does through the server at a kiosk: printing a checklist, calling a
volunteer, taking a hall ticket, and counting anonymous use (also late, after being offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from kiosk.domain.guide_usage import usage_counts
from kiosk.domain.printjobs import ClaimedJob
from kiosk.models import PrintJob, Ticket
from tests import escpos_decode
from tests.conftest import Actions, at
from tests.guide_cast import actions, error, gapp, gclient, kiosk, make_app, post, write_config

__all__ = ["actions", "gapp", "gclient", "kiosk"]  # the fixtures used here

FOOTER = "Tài liệu tham khảo, không phải giấy tiếp nhận hồ sơ"
BIRTH, BUNDLE, MARRIAGE, COPY = "1.001193", "2.000986", "1.000894", "2.000815"


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
    from kiosk.printing.render import job_bytes

    spec = _spec(gapp)
    with m.db.read() as s:
        data = job_bytes(
            s, m, ClaimedJob(job_id, "kiosk-point", "document", None, payload, 1), spec, ""
        )
    events = escpos_decode.decode(data)
    image = escpos_decode.stacked_image(events, 576)
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
    url = f"/api/v1/procedures/{MARRIAGE}/hall-ticket"
    actions.client.get("/guide", headers=actions.auth(kiosk))  # a guide session starts
    first = post(actions, url, {}, kiosk)
    assert first.status_code == 201
    t = first.get_json()
    assert (t["site"], t["service"], t["number"], t["procedure"]) == (
        "hall",
        "civil",
        "B001",
        MARRIAGE,
    )
    assert t["site_name_en"] == "Test hall" and t["service_name_en"] == "Civil status"
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
        details = actions.client.get(f"/api/v1/procedures/{MARRIAGE}").get_json()
        assert details["in_person"][0]["remote_ticket"] is False
        refused = post(actions, f"/api/v1/procedures/{MARRIAGE}/hall-ticket", {}, kiosk)
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
    # A kiosk that was offline sends its views late, with the day they happened.
    late = {"site": "point", "day": "2026-11-25"}
    assert post(actions, f"/api/v1/procedures/{BIRTH}/views", late).status_code == 204
    for day in ("2026-11-27", "2026-11-01", "yesterday"):
        bad = post(actions, f"/api/v1/procedures/{BIRTH}/views", {"site": "point", "day": day})
        assert bad.status_code == 422, day
    with gapp.extensions["motcua"].db.read() as s:
        rows = usage_counts(s, at("2026-11-25 00:00").date(), at("2026-11-26 00:00").date())
    assert [(str(u.day), u.site, u.event, u.procedure, u.count) for u in rows] == [
        ("2026-11-25", "hall", "viewed", COPY, 1),
        ("2026-11-25", "point", "help", None, 1),
        ("2026-11-25", "point", "printed", COPY, 1),
        ("2026-11-25", "point", "viewed", BIRTH, 3),
        ("2026-11-26", "point", "viewed", BIRTH, 1),
    ]
