"""The printed checklist: the payload of a document slip on the kiosk's printer. Pure.

Reference only: the footer is the catalogue's "not a receipt" line, and nothing on it looks
like the official receipt (no receipt or appointment wording, no time limit, no signature, no
dossier code, nothing personal).
"""

from __future__ import annotations

from typing import Any, Literal

from kiosk.catalogue.checklist import Checklist, ChecklistDocument, Note
from kiosk.catalogue.fees import format_vnd
from kiosk.catalogue.guide import to_upload
from kiosk.catalogue.links import procedure_url
from kiosk.catalogue.model import Catalogue, Procedure

Lang = Literal["vi", "en"]

_WORDS: dict[Lang, dict[str, Any]] = {
    "vi": {
        "title": "GIẤY TỜ CẦN CHUẨN BỊ",
        "code": "Mã thủ tục",
        "original": "bản chính",
        "copy": "bản sao",
        "show_id": "Mang theo giấy tờ tùy thân (căn cước hoặc hộ chiếu) để xuất trình.",
        "upload": "(*) Nộp trực tuyến: chụp ảnh rõ nét, đủ 4 góc, hoặc scan giấy tờ này.",
        "counter": "(**) Mang đến quầy, kể cả khi nộp trực tuyến.",
        "fee": "Dự kiến: {fee} (tham khảo)",
        "free": "Dự kiến: miễn {word} (tham khảo)",
        "fee_unknown": "Phí, lệ phí: xem tại dichvucong.gov.vn hoặc hỏi cán bộ.",
        "fee_inputs": " – {pages} trang × {copies} bản",
        "exempt": "Miễn {word} cho: {groups}.",
        "online": {
            "toan_trinh": "Có thể nộp trực tuyến toàn trình tại dichvucong.gov.vn.",
            "mot_phan": "Nộp trực tuyến một phần: vẫn cần mang bản chính hoặc đến trụ sở.",
            "truc_tiep": "Thủ tục làm trực tiếp tại quầy.",
        },
        "unsure": "Chưa rõ: «{ask}»",
        "yes": "Nếu có",
        "no": "Nếu không",
        "stops": "thủ tục này không áp dụng",
        "nothing": "không cần thêm giấy tờ",
        "qr": "Quét mã để mở thủ tục trên dichvucong.gov.vn",
        "never": "Không đưa mật khẩu VNeID cho bất kỳ ai.",
    },
    "en": {
        "title": "PAPERS TO PREPARE",
        "code": "Procedure code",
        "original": "original",
        "copy": "copy",
        "show_id": "Bring an ID paper (identity card or passport) to show.",
        "upload": "(*) To file online: photograph this paper sharply, all 4 corners, or scan it.",
        "counter": "(**) Bring it to the counter, even when filing online.",
        "fee": "Estimate: {fee} (for reference)",
        "free": "Estimate: free (for reference)",
        "fee_unknown": "Fee: see dichvucong.gov.vn or ask the staff.",
        "fee_inputs": " – {pages} pages × {copies} copies",
        "exempt": "No fee for: {groups}.",
        "online": {
            "toan_trinh": "Can be filed fully online on dichvucong.gov.vn.",
            "mot_phan": "Partly online: the originals or a visit are still needed.",
            "truc_tiep": "Done in person at the counter.",
        },
        "unsure": "Not sure: «{ask}»",
        "yes": "If yes",
        "no": "If no",
        "stops": "this procedure does not apply",
        "nothing": "no extra papers",
        "qr": "Scan to open the procedure on dichvucong.gov.vn",
        "never": "Never give your VNeID password to anyone.",
    },
}


def _counts(d: ChecklistDocument, words: dict[str, Any]) -> str:
    parts = []
    if d.original:
        parts.append(f"{d.original} {words['original']}")
    if d.copy:
        parts.append(f"{d.copy} {words['copy']}")
    return f" ({', '.join(parts)})" if parts else ""


def _note(n: Note, lang: Lang) -> str:
    return n.en if lang == "en" else n.vi


def _name(d: ChecklistDocument, lang: Lang) -> str:
    return d.name_en if lang == "en" else d.name_vi


def checklist_document(
    catalogue: Catalogue,
    procedure: Procedure,
    result: Checklist,
    *,
    header_lines: tuple[str, ...],
    lang: Lang = "vi",
    pages: int | None = None,
    copies: int | None = None,
) -> dict[str, Any]:
    """The print-job payload (DocumentSlip fields) of a personal checklist."""
    w = _WORDS[lang]
    en = lang == "en"
    word = "phí" if procedure.fee.kind == "phi" else "lệ phí"
    paragraphs = [w["online"][procedure.online_class]]
    if result.fee_vnd is None:
        paragraphs.append(w["fee_unknown"])
    elif result.fee_vnd == 0:
        paragraphs.append(w["free"].format(word=word))
    else:
        line = w["fee"].format(fee=format_vnd(result.fee_vnd, lang))
        if "pages" in result.fee_inputs and pages is not None:
            line += w["fee_inputs"].format(pages=pages, copies=copies or 1)
        paragraphs.append(line)
    if procedure.present_id:
        paragraphs.append(w["show_id"])
    uploads = {d.id for d in to_upload(procedure, result.documents)}
    counter = {d.id for d in result.documents if d.online == "counter"}
    online = procedure.online_class != "truc_tiep"
    bullets = []
    for d in result.documents:
        mark = " (*)" if d.id in uploads else " (**)" if online and d.id in counter else ""
        bullets.append(_name(d, lang) + _counts(d, w) + mark)
    notes = [_note(n, lang) for n in result.notes]
    for alt in result.alternatives:
        notes.append(w["unsure"].format(ask=alt.ask_en if en else alt.ask_vi))
        for outcome in alt.outcomes:
            head = w["yes"] if outcome.answer else w["no"]
            if outcome.stop:
                what = w["stops"]
            elif outcome.documents:
                what = "; ".join(_name(d, lang) + _counts(d, w) for d in outcome.documents)
            else:
                what = w["nothing"]
            notes.append(f"{head}: {what}.")
    if result.fee_exemptions and result.fee_vnd:
        groups = ", ".join(g.name_en if en else g.name_vi for g in result.fee_exemptions)
        notes.append(w["exempt"].format(groups=groups, word=word))
    if uploads:
        notes.append(w["upload"])
    if online and counter:
        notes.append(w["counter"])
    notes.append(w["never"])
    if not procedure.verified:
        check = catalogue.meta.check_at_counter
        notes.append((check.en or check.vi) if en else check.vi)
    footer = catalogue.meta.checklist_footer
    name = procedure.name_en if en else procedure.name_vi
    return {
        "procedure": procedure.code,
        "title": w["title"],
        "subtitle": f"{name} – {w['code']} {procedure.code}",
        "paragraphs": paragraphs,
        "bullets": bullets,
        "notes": notes,
        "header_lines": list(header_lines),
        "qr_url": procedure_url(catalogue, procedure),
        "qr_caption": w["qr"],
        "footer": (footer.en or footer.vi) if en else footer.vi,
    }
