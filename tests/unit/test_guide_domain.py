"""The guide's own rules: the printed checklist (reference only, never like form 01), who may
apply and what to scan, where a procedure is handled in person, the offline bundle, usage
counts and remote tickets."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.catalogue import Catalogue, guide, load_catalogue, load_procedures
from kiosk.catalogue.bundle import guide_bundle
from kiosk.catalogue.checklist import checklist
from kiosk.catalogue.fees import format_vnd
from kiosk.catalogue.links import code_url, procedure_url
from kiosk.catalogue.printout import checklist_document
from kiosk.config import load_config
from kiosk.domain import guide_usage
from kiosk.domain.errors import Conflict, Forbidden, RateLimited
from kiosk.models import Device, Ticket
from printer.blocks import Text
from printer.escpos_bytes import render_escpos
from printer.layout import DocumentSlip
from printer.render import render_blocks
from printer.spec import parse_printer_uri
from tests import escpos_decode
from tests.conftest import at
from tests.guide_cast import SEED, write_config

TODAY = date(2026, 11, 25)
HEADER = ("ĐIỂM PHỤC VỤ THỬ NGHIỆM",)
# Words of form 01 (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) and of proof of submission.
FORM_01 = ("giấy tiếp nhận", "hẹn trả kết quả", "ký nhận", "mã hồ sơ", "phiếu hẹn", "biên nhận")


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue(SEED)


def slip(payload: dict[str, Any]) -> DocumentSlip:
    """The DocumentSlip the print worker builds from a job payload (kiosk/printing/slips.py)."""
    from kiosk.printing.slips import DOCUMENT_FIELDS

    fields = {k: payload[k] for k in DOCUMENT_FIELDS if k in payload}
    for k in ("paragraphs", "bullets", "notes", "header_lines"):
        fields[k] = tuple(fields[k])
    return DocumentSlip(**fields)


def all_answers(procedure: Any) -> list[dict[str, bool]]:
    ids = [q.id for q in procedure.wizard]
    return [
        dict(zip(ids, combo, strict=True))
        for combo in itertools.product((True, False), repeat=len(ids))
    ]


def test_every_checklist_prints_as_a_reference_never_like_form_01(cat: Catalogue) -> None:
    for procedure in cat.procedures:
        for answers in all_answers(procedure):
            result = checklist(procedure, answers, today=TODAY, pages=3, copies=2)
            if result.stopped:
                continue
            for lang in ("vi", "en"):
                payload = checklist_document(
                    cat, procedure, result, header_lines=HEADER, lang=lang, pages=3, copies=2
                )
                doc = slip(payload)
                assert "Tài liệu tham khảo, không phải giấy tiếp nhận hồ sơ" in doc.footer
                body = " ".join(
                    [doc.title, doc.subtitle or "", *doc.paragraphs, *doc.bullets, *doc.notes]
                )
                # "đăng ký nhận cha, mẹ, con" is a procedure's name, not a signature box.
                plain = body.lower().replace("đăng ký nhận", "")
                for words in FORM_01:
                    assert words not in plain, (procedure.code, words)
                assert len(doc.bullets) == len(result.documents)
                assert doc.qr_url == procedure_url(cat, procedure)
                check = (
                    "Xin kiểm tra lại tại quầy" if lang == "vi" else "Please check at the counter"
                )
                assert check in doc.notes  # every entry is still unverified


def test_checklist_payload_for_a_certified_copy(cat: Catalogue) -> None:
    copy = cat.get("2.000815")
    assert copy is not None
    answers = {"issued_in_vn": True, "brought_copies": True, "many_pages": False}
    result = checklist(copy, answers, today=TODAY, pages=5, copies=2)
    payload = checklist_document(cat, copy, result, header_lines=HEADER, pages=5, copies=2)
    assert payload["header_lines"] == list(HEADER) and payload["procedure"] == "2.000815"
    assert payload["title"] == "GIẤY TỜ CẦN CHUẨN BỊ"
    assert payload["paragraphs"] == [
        "Nộp trực tuyến một phần: vẫn cần mang bản chính hoặc đến trụ sở.",
        "Dự kiến: 14.000\u00a0đ (tham khảo) – 5 trang × 2 bản",
    ]
    # A photo never becomes a certified copy: both papers go to the counter, nothing is scanned.
    assert payload["bullets"] == [
        "Bản chính giấy tờ, văn bản (để đối chiếu, được trả lại) (1 bản chính) (**)",
        "Bản chụp (photo) từ bản chính, mỗi bản cần chứng thực một bản chụp (1 bản sao) (**)",
    ]
    assert not any("chụp ảnh" in n or "scan" in n for n in payload["notes"])
    assert "(**) Mang đến quầy, kể cả khi nộp trực tuyến." in payload["notes"]
    english = checklist_document(cat, copy, result, header_lines=HEADER, lang="en")
    assert english["title"] == "PAPERS TO PREPARE"
    assert english["bullets"][0].startswith("The original document")
    assert english["footer"].endswith(payload["footer"])  # the legal line stays in Vietnamese


def test_the_printed_checklist_lists_what_each_unsure_answer_needs(cat: Catalogue) -> None:
    birth = cat.get("1.001193")
    assert birth is not None
    result = checklist(birth, {}, today=TODAY, unsure=["has_birth_cert"])
    notes = checklist_document(cat, birth, result, header_lines=HEADER)["notes"]
    start = notes.index("Chưa rõ: «Ông/Bà có Giấy chứng sinh do bệnh viện hoặc cơ sở y tế cấp?»")
    assert notes[start + 1].startswith("Nếu có: Giấy chứng sinh do cơ sở y tế cấp")
    assert notes[start + 2].startswith("Nếu không: Văn bản của người làm chứng")


def test_the_printed_footer_is_the_last_line_of_the_image(cat: Catalogue) -> None:
    birth = cat.get("1.001193")
    assert birth is not None
    result = checklist(birth, {q.id: True for q in birth.wizard}, today=TODAY)
    payload = checklist_document(cat, birth, result, header_lines=HEADER)
    data = render_escpos(slip(payload), parse_printer_uri("dummy?profile=TM-T20II"))
    image = escpos_decode.stacked_image(escpos_decode.decode(data), 576)
    footer = render_blocks((Text(payload["footer"], "small", True, "center", shrink_to=16),), 576)

    def rows(img: Any) -> list[bytes]:
        return [img.crop((0, y, img.width, y + 1)).tobytes() for y in range(img.height)]

    page, line = rows(image), rows(footer)
    found = [y for y in range(len(page) - len(line) + 1) if page[y : y + len(line)] == line]
    assert found and image.height - (found[-1] + len(line)) < 30


def test_who_may_apply_and_what_to_scan(cat: Catalogue) -> None:
    marriage, birth, signature = cat.get("1.000894"), cat.get("1.001193"), cat.get("2.000884")
    assert marriage and birth and signature
    assert [(c.question, c.answer) for c in guide.conditions(marriage)] == [
        ("both_vn_residents", True)
    ]
    assert guide.conditions(birth) == []
    result = checklist(birth, {"has_birth_cert": False}, today=TODAY)
    # The declaration is the portal's e-form: only the witness statement is uploaded.
    assert [d.id for d in guide.to_upload(birth, result.documents)] == ["xac_nhan_viec_sinh"]
    # In person only: nothing to scan.
    signed = checklist(signature, {}, today=TODAY)
    assert signed.documents and guide.to_upload(signature, signed.documents) == []
    for code in ("1.001612", "1.001699", "2.000908"):  # e-forms are filled in, not scanned
        p = cat.get(code)
        assert p is not None
        forms = checklist(p, {}, today=TODAY).documents
        assert forms[0].id not in {d.id for d in guide.to_upload(p, forms)}, code
    assert format_vnd(200000) == "200.000\u00a0đ" and format_vnd(0) == "0\u00a0đ"
    assert format_vnd(8000, "en") == "8,000\u00a0đ"
    assert code_url(cat, "9.999999").endswith("ma_thu_tuc=9.999999")


def test_where_a_procedure_is_handled_in_person(tmp_path: Path, cat: Catalogue) -> None:
    cfg = load_config(write_config(tmp_path))
    point, hall = cfg.site("point"), cfg.site("hall")
    assert point and hall
    assert guide.volunteer_service(point).code == "help"  # type: ignore[union-attr]
    birth, bundle = cat.get("1.000894"), cat.get("2.000986")
    assert birth and bundle
    places = guide.in_person_places(cfg, birth, "point")
    assert [(p.site.code, p.service.code, p.remote) for p in places] == [("hall", "civil", True)]
    assert guide.in_person_places(cfg, bundle, "point") == []  # fully online
    police = cat.get("1.004222")
    assert police and police.handled_at is not None
    assert guide.in_person_places(cfg, police, "point") == []  # not at the one-stop counters
    assert guide.ticket_place(cfg, birth, "point", None).service.code == "civil"
    with pytest.raises(Forbidden):
        guide.ticket_place(cfg, birth, "point", "point")
    closed = load_config(write_config(tmp_path / "closed", remote=False))
    with pytest.raises(Forbidden):
        guide.ticket_place(closed, birth, "point", None)
    assert guide.ticket_place(closed, birth, "hall", None).site.code == "hall"  # its own


def test_home_offers_the_most_viewed_then_the_featured_then_the_catalogue(cat: Catalogue) -> None:
    shown = guide.home_procedures(cat, ["2.000815", "9.999999", "2.000815"], 3)
    assert [p.code for p in shown] == ["2.000815", "1.001193", "1.000894"]
    everything = guide.home_procedures(cat, [], len(cat.procedures))
    assert [p.code for p in everything[:6]] == list(cat.meta.featured)
    assert len({p.code for p in everything}) == len(cat.procedures)


def test_the_offline_bundle_holds_everything_the_page_needs(tmp_path: Path, cat: Catalogue) -> None:
    cfg = load_config(write_config(tmp_path))
    bundle = guide_bundle(cat, cfg, "point", today=TODAY)
    assert len(bundle["procedures"]) == len(cat.procedures)
    assert bundle["today"] == TODAY.isoformat() and len(bundle["version"]) == 16
    assert "thu" in bundle["search"]["stop_words"]
    assert bundle["search"]["spellings"]["khai"] == "khai"
    copy_ = next(p for p in bundle["procedures"] if p["code"] == "2.000635")
    assert copy_["fee"]["rule"]["cases"][0]["valid_to"] == "2027-02-28"
    assert [p["from"] for p in copy_["fee"]["periods"]] == ["2026-11-25", "2027-03-01"]
    birth = next(p for p in bundle["procedures"] if p["code"] == "1.001193")
    assert birth["wizard"][1]["yes"]["add_documents"] == ["giay_chung_sinh"]
    assert birth["wizard"][2]["no"]["suggestion"]["in_catalogue"] is True
    assert birth["aliases"] and birth["field_en"] == "Civil status"
    # Nothing that varies with the hour: the page works out the cut-off itself.
    assert all(p["cutoff_warning"] is False for p in bundle["procedures"])
    assert guide_bundle(cat, cfg, "point", today=TODAY)["version"] == bundle["version"]


def test_usage_counts_add_up(any_db: Any) -> None:
    day = TODAY
    with any_db.transaction() as s:
        for _ in range(3):
            guide_usage.record_usage(s, day, "point", "viewed", "1.001193")
        guide_usage.record_usage(s, day, "point", "help")
        guide_usage.record_usage(s, day + timedelta(days=1), "point", "viewed", "2.000815")
    with any_db.transaction() as s:
        guide_usage.record_usage(s, day, "point", "help")
    with any_db.read() as s:
        rows = guide_usage.usage_counts(s, day, day)
        assert [(u.event, u.procedure, u.count) for u in rows] == [
            ("help", None, 2),
            ("viewed", "1.001193", 3),
        ]
        assert guide_usage.popular(s, "point", day, 5) == ["1.001193", "2.000815"]
    with pytest.raises(ValueError):
        with any_db.transaction() as s:
            guide_usage.record_usage(s, day, "point", "searched")  # type: ignore[arg-type]


def test_remote_tickets_one_per_session_and_gap(db: Any) -> None:
    now = at("2026-11-25 09:00")
    with db.read() as s:
        guide_usage.check_remote_allowed(
            s, device_id=7, here="point", now=now, gap_s=300, session_used=False
        )
        with pytest.raises(Conflict):
            guide_usage.check_remote_allowed(
                s, device_id=7, here="point", now=now, gap_s=300, session_used=True
            )
    with db.transaction() as s:
        for device in (7, 8):
            s.add(Device(id=device, name=f"k{device}", kind="kiosk", site="point", created_at=now))
        s.flush()
        s.add(_ticket(7, "hall", now))
        s.add(_ticket(7, "point", now + timedelta(seconds=200)))  # its own site: not remote
    with db.read() as s:
        later = now + timedelta(seconds=100)
        with pytest.raises(RateLimited) as caught:
            guide_usage.check_remote_allowed(
                s, device_id=7, here="point", now=later, gap_s=300, session_used=False
            )
        assert caught.value.retry_after_s == 200
        guide_usage.check_remote_allowed(
            s, device_id=8, here="point", now=later, gap_s=300, session_used=False
        )
        guide_usage.check_remote_allowed(
            s,
            device_id=7,
            here="point",
            now=now + timedelta(seconds=300),
            gap_s=300,
            session_used=False,
        )
        guide_usage.check_remote_allowed(
            s, device_id=7, here="point", now=later, gap_s=0, session_used=False
        )


def _ticket(device: int, site: str, issued: Any) -> Ticket:
    n = 1 if site == "hall" else 2
    return Ticket(
        code=f"code-{site}",
        site=site,
        service="civil",
        origin_service="civil",
        business_day=TODAY,
        seq=n,
        number=f"B00{n}",
        status="waiting",
        issued_at=issued,
        order_at=issued,
        recalls=0,
        kiosk_device_id=device,
        print_status="none",
    )


def test_no_catalogue_file_means_none(tmp_path: Path) -> None:
    assert load_procedures(tmp_path) is None
    assert load_procedures(write_config(tmp_path / "c")) is not None
