"""Ticket and document layout: blocks, wrapping, fonts, wording, and the rendered image."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from printer import fonts
from printer.blocks import (
    QR,
    Columns,
    InvertedBanner,
    Rule,
    Spacer,
    Text,
    flatten,
    font_px,
    margin_px,
)
from printer.fonts import FontNotFoundError, covers, load_font
from printer.layout import (
    DocumentSlip,
    TicketSlip,
    document_blocks,
    render_document,
    render_ticket,
    ticket_blocks,
)
from printer.render import ink_bbox, render_block, render_blocks
from printer.samples import TRACK_URL, TZ, sample_checklist, sample_ticket
from printer.wrap import text_width, wrap_text

VIETNAMESE = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)


def all_text(blocks: tuple[object, ...]) -> str:
    parts = []
    for block in flatten(blocks):  # type: ignore[arg-type]
        if isinstance(block, Text | InvertedBanner):
            parts.append(block.text)
        if isinstance(block, Rule) and block.label:
            parts.append(block.label)
    return "\n".join(parts)


def zbar(img: Image.Image, tmp_path: Path) -> list[str]:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg missing (Debian package zbar-tools)")
    path = tmp_path / "qr.png"
    img.convert("L").save(path)
    result = subprocess.run(
        ["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, timeout=20
    )
    return result.stdout.split()


# --- the ticket ----------------------------------------------------------------------------


@pytest.mark.parametrize("width", [576, 384, 512])
def test_ticket_is_a_1bit_image_at_paper_width(width: int) -> None:
    img = render_ticket(sample_ticket(), width)
    assert img.mode == "1"
    assert img.width == width
    assert img.getpixel((0, 0)) == 255  # white background
    margin = margin_px(width)
    left, _, right, _ = ink_bbox(img)
    assert left >= margin and right <= width - margin  # nothing touches or crosses the edge


def test_ticket_reads_as_a_queue_ticket_and_nothing_more() -> None:
    slip = sample_ticket(service_vi="Hộ tịch", ahead=3, wait_minutes=10)
    text = all_text(ticket_blocks(slip)).lower().replace("\u00a0", " ")
    for line in slip.header_lines:
        assert line.lower() in text
    assert "a012" in text
    assert "25/07/2025 08:15" in text
    assert "số người chờ trước: 3 (dự kiến)" in text  # an estimate, like the wait
    assert "dự kiến chờ: khoảng 10 phút" in text
    assert "quầy 1 · quầy 2" in text
    assert "quét mã để theo dõi lượt của ông/bà" in text
    assert "phiếu chỉ có giá trị trong ngày" in text
    assert "hồ sơ nhận sau 15:00 có thể được trả kết quả ngày làm việc sau" in text
    assert "số thứ tự xếp hàng – không phải giấy tiếp nhận hồ sơ" in text
    # Never a receipt, an appointment, a signature or a promise; never "bạn" for the citizen.
    for banned in ("hẹn trả", "ký tên", "ký nhận", "chữ ký", "cam kết", "bảo đảm", "bạn"):
        assert banned not in text.replace("bản", "")
    assert text.count("giấy tiếp nhận") == text.count("không phải giấy tiếp nhận")


ENGLISH_WORDS = ("scan", "people", "wait", "ticket", "queue", "counter", "valid", "about", "min")


def test_a_vietnamese_ticket_has_no_english_even_when_the_service_has_a_name_for_it() -> None:
    slip = sample_ticket(service_en="Certification")
    text = all_text(ticket_blocks(slip)).lower()
    assert "certification" not in text
    for word in ENGLISH_WORDS:
        assert word not in text.split()


def test_an_english_ticket_speaks_english_and_keeps_the_vietnamese_service_name() -> None:
    slip = sample_ticket(language="en", service_en="Certification", ahead=2, wait_minutes=3)
    text = all_text(ticket_blocks(slip)).replace("\u00a0", " ")
    for expected in (
        "QUEUE NUMBER",
        "Certification",
        "Chứng thực bản sao từ bản chính, chữ ký, hợp đồng",  # as on the hall display
        "People ahead: 2 (estimate)",
        "Estimated wait: about 3 min",
        "Scan to follow your turn",
        "Valid today only",
        "Applications after 15:00 may get their result the next working day",
        "Queue number only – not a dossier receipt",
    ):
        assert expected in text
    assert "SỐ THỨ TỰ" not in text and "Quét" not in text
    # A service without an English name: its Vietnamese name, once, in an English ticket.
    text = all_text(ticket_blocks(sample_ticket(language="en", service_en=None)))
    assert text.count("Chứng thực bản sao") == 1 and "QUEUE NUMBER" in text


def test_wait_lines_follow_the_given_minutes() -> None:
    def text(**changes: object) -> str:
        return all_text(ticket_blocks(sample_ticket(**changes))).replace("\u00a0", " ")

    assert "phút" not in text(wait_minutes=None) and "Dự kiến chờ" not in text(wait_minutes=None)
    assert "Dự kiến chờ: sắp đến lượt" in text(wait_minutes=0)
    assert "phút" not in text(wait_minutes=0)  # never "~1 phút" for no wait at all
    assert "khoảng 3 phút" in text(wait_minutes=3)


def test_no_cutoff_line_without_a_cutoff_and_no_qr_without_an_address() -> None:
    blocks = ticket_blocks(sample_ticket(cutoff=None, track_url=None))
    assert "Hồ sơ nhận sau" not in all_text(blocks)
    assert not any(isinstance(b, QR) for b in flatten(blocks))
    assert "Quét mã" not in all_text(blocks)
    assert "Phiếu chỉ có giá trị trong ngày" in all_text(blocks)


def test_text_is_nfc_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "Hộ tịch – Đăng ký khai sinh")
    slip = sample_ticket(service_vi=decomposed, counters=(unicodedata.normalize("NFD", "Quầy 3"),))
    assert slip.service_vi == unicodedata.normalize("NFC", decomposed)
    assert slip.counters == ("Quầy 3",)
    composed = sample_ticket(service_vi="Hộ tịch – Đăng ký khai sinh", counters=("Quầy 3",))
    assert render_ticket(slip).tobytes() == render_ticket(composed).tobytes()
    assert Text(decomposed).text == slip.service_vi


def test_issued_at_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sample_ticket(issued_at=datetime(2025, 7, 25, 8, 15))
    with pytest.raises(ValueError):
        sample_ticket(ahead=-1)


def test_priority_ticket_carries_an_inverted_mark_and_its_group() -> None:
    slip = sample_ticket(priority_label="ƯU TIÊN", priority_group="Người cao tuổi")
    blocks = ticket_blocks(slip)
    banners = [b for b in blocks if isinstance(b, InvertedBanner)]
    assert [(b.text, b.full_width) for b in banners] == [("ƯU TIÊN", False)]
    assert "Người cao tuổi" in all_text(blocks)
    banner = render_block(banners[0], 560, 576)
    left, top, right, bottom = ink_bbox(banner) or (0, 0, 0, 0)
    assert right - left < 300 and abs((left + right) / 2 - 280) <= 2  # a centred mark
    inner = banner.crop((left, top, right, bottom)).convert("L")
    assert inner.getpixel((2, 2)) == 0 and 0.3 < sum(inner.histogram()[:1]) / (
        inner.width * inner.height
    )  # black with white letters
    assert not any(isinstance(b, InvertedBanner) for b in ticket_blocks(sample_ticket()))


def test_long_service_name_wraps_and_grows_the_ticket() -> None:
    short = render_ticket(sample_ticket(service_vi="Hộ tịch"))
    long_name = (
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan tổ chức có thẩm quyền "
        "của Việt Nam cấp hoặc chứng nhận; chứng thực chữ ký trong các giấy tờ, văn bản"
    )
    long = render_ticket(sample_ticket(service_vi=long_name))
    assert long.height >= short.height + 3 * font_px("large", 576)
    font = load_font(font_px("large", 576), bold=True)
    content = 576 - 2 * margin_px(576)
    lines = wrap_text(long_name, font, content)
    assert len(lines) >= 4
    assert all(text_width(font, line) <= content for line in lines)
    assert " ".join(lines).split() == long_name.split()  # every word kept, in order


def test_58mm_ticket_stacks_the_qr_code() -> None:
    blocks = ticket_blocks(sample_ticket(), 384)
    assert not any(isinstance(b, Columns) for b in blocks)
    assert any(isinstance(b, QR) for b in blocks)
    assert any(isinstance(b, Columns) for b in ticket_blocks(sample_ticket(), 576))


@pytest.mark.parametrize("width", [576, 384])
def test_ticket_qr_code_decodes_to_the_track_url(width: int, tmp_path: Path) -> None:
    assert zbar(render_ticket(sample_ticket(), width), tmp_path) == [TRACK_URL]


# --- wrapping and fonts --------------------------------------------------------------------

words = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "0123456789,.–", min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(words, min_size=1, max_size=25), st.integers(120, 560), st.sampled_from([17, 24, 32])
)
def test_wrapped_lines_fit_and_keep_every_word(parts: list[str], width: int, size: int) -> None:
    font = load_font(size)
    text = " ".join(parts)
    lines = wrap_text(text, font, width)
    assert all(text_width(font, line) <= width for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())


def test_separators_are_preferred_breaks() -> None:
    font = load_font(24)
    text = "Trước Ông/Bà: 12\u00a0người · Dự kiến chờ: ~45\u00a0phút"
    lines = ["Trước Ông/Bà: 12\u00a0người", "Dự kiến chờ: ~45\u00a0phút"]
    assert wrap_text(text, font, 300) == lines
    assert wrap_text("Hộ tịch – Khai sinh", font, 180) == ["Hộ tịch –", "Khai sinh"]


def test_overlong_word_is_broken_not_clipped() -> None:
    font = load_font(24)
    url = "https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html"
    lines = wrap_text(url, font, 200)
    assert "".join(lines) == url
    assert all(text_width(font, line) <= 200 for line in lines)


@pytest.mark.parametrize("bold", [False, True])
def test_font_covers_vietnamese(bold: bool) -> None:
    font = load_font(24, bold)
    assert covers(font, VIETNAMESE + VIETNAMESE.upper() + "–·~()")
    assert not covers(font, "漢")


def test_missing_fonts_raise_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "SEARCH_DIRS", (str(tmp_path),))
    monkeypatch.delenv("MOTCUA_FONT_DIR", raising=False)
    fonts.font_paths.cache_clear()
    try:
        with pytest.raises(FontNotFoundError, match="fonts-dejavu-core"):
            fonts.font_paths()
    finally:
        fonts.font_paths.cache_clear()


def test_font_dir_variable_is_searched_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    regular, bold = fonts.font_paths()
    for source in (regular, bold):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    monkeypatch.setenv("MOTCUA_FONT_DIR", str(tmp_path))
    fonts.font_paths.cache_clear()
    try:
        assert fonts.font_paths() == (tmp_path / regular.name, tmp_path / bold.name)
    finally:
        fonts.font_paths.cache_clear()


# --- blocks --------------------------------------------------------------------------------


def test_blocks_render_to_their_width() -> None:
    for block in (
        Text("Xin chào", align="center"),
        Text("Một dòng rất dài " * 8, bullet="☐"),
        Rule(),
        Rule(label="SỐ THỨ TỰ"),
        Spacer(10),
        QR("https://example.vn/t/abc"),
        InvertedBanner("ƯU TIÊN"),
        Columns(main=(Text("trái"),), side=(QR("x"),)),
    ):
        img = render_block(block, 400)
        assert img.mode == "1" and img.width == 400
    assert render_block(Spacer(10), 400).height == 10
    assert ink_bbox(render_block(Spacer(10), 400)) is None


def test_rule_label_sits_in_the_line() -> None:
    plain = render_block(Rule(thickness=2, pad=4), 400)
    labelled = render_block(Rule(thickness=2, pad=4, label="SỐ THỨ TỰ"), 400)
    assert labelled.height > plain.height
    middle = labelled.crop((190, 0, 210, labelled.height))  # text, not the line, in the middle
    assert ink_bbox(middle) is not None
    edge_row = [labelled.getpixel((5, y)) for y in range(labelled.height)]
    assert edge_row.count(0) == 2  # the 2-dot line at the edges


def test_bullets_hang_under_the_text() -> None:
    img = render_block(Text("giấy tờ " * 12, bullet="☐"), 300)
    font = load_font(font_px("body", 300))
    indent = text_width(font, "☐ ")
    second_line = img.crop((0, img.height // 2, indent - 2, img.height))
    assert ink_bbox(second_line) is None  # only the first line has the marker


def test_qr_that_cannot_fit_raises() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        render_block(QR("x" * 300), 100)


# --- the generic document ------------------------------------------------------------------


def test_document_is_marked_reference_only(tmp_path: Path) -> None:
    doc = sample_checklist()
    text = all_text(document_blocks(doc))
    assert "Tài liệu tham khảo, không phải giấy tiếp nhận hồ sơ" in text
    assert all(bullet in text for bullet in doc.bullets)
    img = render_document(doc)
    assert img.mode == "1" and img.width == 576
    assert zbar(img, tmp_path) == [doc.qr_url]


def test_document_without_extras() -> None:
    img = render_document(DocumentSlip(title="Ghi chú"), 384)
    assert img.width == 384 and img.height > 0


def test_render_blocks_stacks_in_order() -> None:
    img = render_blocks((Spacer(20), Rule(thickness=3, pad=0), Spacer(20)), 200)
    assert img.height == 43
    _, top, _, bottom = ink_bbox(img)
    assert (top, bottom) == (20, 23)


def test_slip_types_are_frozen() -> None:
    slip = sample_ticket()
    with pytest.raises(AttributeError):
        slip.number = "B001"  # type: ignore[misc]
    assert isinstance(slip, TicketSlip)
    assert slip.issued_at.tzinfo is TZ
