"""/admin forms for displays, kiosk printers, the rating scale, the ticket header and the
announcement: a valid change is stored, audited and pushed (`config`) at once; a refused one
names its field and changes nothing; only admins, and only with the CSRF token."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import Actions
from tests.integration.conftest import PASSWORD, csrf


def m(app: Any) -> Any:
    return app.extensions["motcua"]


def pushed(app: Any, client: Any, actions: Actions) -> Any:
    """A display's socket, to see the `config` push."""
    token = actions.device("tv", "display", display=1)
    sio = m(app).socketio
    sc = sio.test_client(app, namespace="/display", auth={"token": token}, flask_test_client=client)
    assert sc.is_connected("/display")
    sc.get_received("/display")
    return sc


def config_events(sc: Any) -> list[Any]:
    return [x for x in sc.get_received("/display") if x["name"] == "config"]


def post(admin: Any, path: str, **data: Any) -> Any:
    return admin.post(path, data={"csrf_token": csrf(admin.get(path)), **data})


def audited(admin: Any, action: str) -> bool:
    return f'data-action="{action}"' in admin.get(f"/admin?action={action}").text or bool(
        re.search(rf">{action}<|{action}", admin.get(f"/admin.csv?action={action}").text)
    )


def marked(page: Any, name: str) -> bool:
    """The refused form marks the field ``name`` (its input, select or group)."""
    return bool(
        re.search(rf'class="form-row invalid"[^<]*>(?:(?!form-row).)*name="{name}', page.text, re.S)
    )


def refused(app: Any, admin: Any, path: str, cases: list[tuple[dict[str, Any], str]]) -> None:
    """Each ``(form data, field)`` is refused with a message, that field marked, and nothing
    stored."""
    before = m(app).config_version
    for data, field in cases:
        r = post(admin, path, **data)
        assert r.status_code == 422 and 'id="problem"' in r.text, data
        assert marked(r, field), (data, field)
    assert m(app).config_version == before


DISPLAY = "/admin/sites/hall/displays/1"


def test_display_form_changes_what_the_screen_shows(app: Any, admin: Any, actions: Actions) -> None:
    sc = pushed(app, admin, actions)
    before = m(app).config_version
    r = post(admin, DISPLAY, name="Màn hình sảnh", show_2="on", notice="Nghỉ trưa 11:30–13:30",
             layout="counter", volume="40")  # fmt: skip
    assert r.status_code == 302, r.text
    _, display = m(app).config.display(1)
    assert (display.counters, display.layout, display.volume) == ((2,), "counter", 0.4)
    assert display.notice == "Nghỉ trưa 11:30–13:30"
    assert m(app).config_version == before + 1
    assert config_events(sc)
    log = admin.get("/admin?action=display_changed").text
    assert "Sửa màn hình" in log and "hall/displays/1" in log
    assert "Nghỉ trưa" in admin.get("/admin/sites/hall").text


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": "TV", "layout": "hall"}, "show_1", "ít nhất một quầy"),
        ({"name": "TV", "show_1": "on", "show_2": "on", "layout": "counter"}, "show_1", "đúng một"),
        ({"name": "TV", "show_1": "on", "layout": "hall", "volume": "150"}, "volume", "100%"),
        ({"name": "TV", "show_1": "on", "layout": "hall", "volume": "loud"}, "volume", "số"),
        ({"name": "", "show_1": "on", "layout": "hall"}, "name", "Tên màn hình"),
        ({"name": "TV", "show_1": "on", "layout": "wall"}, "layout", "Bố cục"),
    ],
)
def test_display_form_refuses_with_the_field_named(
    app: Any, admin: Any, actions: Actions, data: dict[str, str], field: str, words: str
) -> None:
    sc = pushed(app, admin, actions)
    before = m(app).config_version
    r = post(admin, DISPLAY, **data)
    assert r.status_code == 422
    assert 'id="problem"' in r.text and words in r.text
    assert marked(r, field), field
    assert m(app).config_version == before and not config_events(sc)
    en = admin.post(DISPLAY + "?lang=en", data={"csrf_token": csrf(admin.get(DISPLAY)), **data})
    assert en.status_code == 422 and 'id="problem"' in en.text


KIOSK = "/admin/sites/hall/kiosks/kiosk-1"


def test_kiosk_form_sets_the_printer(app: Any, admin: Any, actions: Actions) -> None:
    sc = pushed(app, admin, actions)
    form = admin.get(KIOSK)
    assert form.status_code == 200 and 'value="none" selected' in form.text
    r = post(admin, KIOSK, kind="network", target="10.0.0.7", profile="POS-5890", mode="compact",
             options="timeout_s=3")  # fmt: skip
    assert r.status_code == 302, r.text
    _, kiosk = m(app).config.kiosk("kiosk-1")
    assert kiosk.printer == "network:10.0.0.7?profile=POS-5890&mode=compact&timeout_s=3"
    assert config_events(sc)
    assert "Đổi máy in của máy lấy số" in admin.get("/admin?action=kiosk_changed").text
    again = admin.get(KIOSK).text  # the stored setting comes back as the form's fields
    assert 'value="10.0.0.7"' in again and 'value="timeout_s=3"' in again
    assert post(admin, KIOSK, kind="none").status_code == 302
    assert m(app).config.kiosk("kiosk-1")[1].printer == "none"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "network", "target": ""}, "target"),
        ({"kind": "usb", "target": "printer-in-the-hall"}, "target"),
        ({"kind": "network", "target": "10.0.0.7", "options": "cut=sideways"}, "options"),
        ({"kind": "network", "target": "10.0.0.7", "options": "nonsense"}, "options"),
        ({"kind": "telepathy", "target": "x"}, "kind"),
    ],
)
def test_kiosk_form_refuses_a_printer_it_cannot_use(
    app: Any, admin: Any, data: dict[str, str], field: str
) -> None:
    before = m(app).config_version
    r = post(admin, KIOSK, **data)
    assert r.status_code == 422 and 'id="problem"' in r.text
    assert marked(r, field), field
    assert m(app).config_version == before
    assert m(app).config.kiosk("kiosk-1")[1].printer == "none"


def test_rating_form(app: Any, admin: Any, actions: Actions) -> None:
    path = "/admin/settings/rating"
    assert 'name="vi_4" value="Rất hài lòng"' in admin.get(path).text
    sc = pushed(app, admin, actions)
    data = {
        "vi_3": "Tốt", "en_3": "Good", "vi_2": "Được", "vi_1": "Chưa tốt", "en_1": "Poor",
        "negative_below": "2", "show_seconds": "20",
        "reason_code_0": "long_wait", "reason_vi_0": "Chờ lâu", "reason_en_0": "Long wait",
        "reason_code_3": "noise", "reason_vi_3": "Ồn ào",
    }  # fmt: skip
    r = post(admin, path, **data)
    assert r.status_code == 302, r.text
    rating = m(app).config.settings.rating
    assert {n: lab.vi for n, lab in rating.labels.items()} == {3: "Tốt", 2: "Được", 1: "Chưa tốt"}
    assert [x.code for x in rating.reasons] == ["long_wait", "noise"]
    assert (rating.negative_below, rating.show_seconds) == (2, 20)
    assert config_events(sc)
    assert "Sửa thang đánh giá" in admin.get("/admin?action=rating_changed").text
    refused(app, admin, path, [
        ({**data, "vi_2": ""}, "vi_5"),  # a gap in the scale
        ({**data, "vi_5": "Tuyệt vời"}, "vi_5"),  # level 4 left out
        ({**data, "vi_3": "", "en_3": ""}, "vi_5"),  # two levels only
        ({**data, "vi_3": ""}, "vi_5"),  # an English name alone
        ({**data, "reason_code_3": "long_wait"}, "reason_code_0"),
        ({**data, "reason_code_3": ""}, "reason_code_0"),
        ({**data, "reason_code_3": "ồn ào"}, "reason_code_0"),
        ({**data, "negative_below": "4"}, "negative_below"),
        ({**data, "show_seconds": "1"}, "show_seconds"),
    ])  # fmt: skip


def test_ticket_header_form(app: Any, admin: Any, actions: Actions) -> None:
    path = "/admin/settings/ticket-header"
    assert 'value="ĐIỂM PHỤC VỤ THỬ NGHIỆM"' in admin.get(path).text
    sc = pushed(app, admin, actions)
    r = post(admin, path, line_0="UBND PHƯỜNG THỬ", line_1="", line_2="BỘ PHẬN MỘT CỬA")
    assert r.status_code == 302
    header = m(app).config.settings.organisation.ticket_header
    assert header == ("UBND PHƯỜNG THỬ", "BỘ PHẬN MỘT CỬA")
    assert config_events(sc)
    assert "Sửa đầu phiếu" in admin.get("/admin?action=ticket_header_changed").text
    r = post(admin, path, line_0="X" * 70)
    assert r.status_code == 422 and "64" in r.text and marked(r, "line_0")
    assert m(app).config.settings.organisation.ticket_header == header


def test_announcement_form_previews_then_saves(app: Any, admin: Any, actions: Actions) -> None:
    path = "/admin/settings/announcement"
    page = admin.get(path).text
    assert "Xin mời công dân có số thứ tự A012 đến quầy số 3" in page
    sc = pushed(app, admin, actions)
    before = m(app).config_version
    data = {"vi": "Mời số {number} đến quầy {counter}", "en": "", "repeat": "1"}
    r = post(admin, path, preview="1", **data)
    assert r.status_code == 200 and "Mời số A012 đến quầy 3" in r.text
    assert "Mời số · a · không · một · hai · đến quầy · ba" in r.text  # as it is said
    assert m(app).config_version == before and not config_events(sc)
    r = post(admin, path, english="on", **{**data, "en": "Number {number}, counter {counter}"})
    assert r.status_code == 302
    a = m(app).config.settings.announcement
    assert (a.vi, a.en, a.repeat, a.english) == (
        "Mời số {number} đến quầy {counter}", "Number {number}, counter {counter}", 1, True
    )  # fmt: skip
    assert config_events(sc)
    assert "Sửa câu mời" in admin.get("/admin?action=announcement_changed").text
    refused(app, admin, path, [
        ({**data, "vi": "Mời số {ticket}"}, "vi"),
        ({**data, "vi": "Mời công dân đến quầy {counter}"}, "vi"),
        ({**data, "en": "Go to {place}"}, "en"),
        ({**data, "english": "on"}, "en"),
        ({**data, "repeat": "9"}, "repeat"),
    ])  # fmt: skip


FORMS = (
    DISPLAY,
    KIOSK,
    "/admin/settings/rating",
    "/admin/settings/ticket-header",
    "/admin/settings/announcement",
)


def test_pages_in_both_languages(admin: Any) -> None:
    for path in FORMS:
        assert admin.get(path).status_code == 200, path
        assert admin.get(path + "?lang=en").status_code == 200, path
    assert "Edit display" in admin.get(DISPLAY + "?lang=en").text
    assert admin.get("/admin/sites/hall/displays/9").status_code == 404
    assert admin.get("/admin/sites/hall/kiosks/nope").status_code == 404
    config = admin.get("/admin/config").text
    assert all(p in config for p in FORMS[2:])
    site = admin.get("/admin/sites/hall").text
    assert DISPLAY in site and KIOSK in site


def test_forms_need_the_csrf_token(app: Any, admin: Any) -> None:
    before = m(app).config_version
    for path in FORMS:
        assert admin.post(path, data={"line_0": "X", "name": "X"}).status_code == 400, path
    assert m(app).config_version == before


def test_only_admins(app: Any, client: Any, actions: Actions) -> None:
    actions.user("sup", "supervisor", password=PASSWORD)
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "sup", "password": PASSWORD, "csrf_token": token})
    page = client.get("/reports")
    assert page.status_code == 200
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    for path in FORMS:
        assert client.get(path).status_code == 403, path
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path


def test_an_admin_of_one_site_keeps_to_it(app: Any, client: Any, actions: Actions) -> None:
    actions.user("annie", "admin", site="annex", password=PASSWORD)
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "annie", "password": PASSWORD, "csrf_token": token})
    for path in FORMS:
        assert client.get(path).status_code in (403, 404), path
    assert client.get("/admin/sites/annex/displays/2").status_code == 200
