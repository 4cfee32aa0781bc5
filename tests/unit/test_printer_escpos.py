"""ESC/POS bytes from python-escpos's Dummy printer, decoded back and compared."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from printer.blocks import Text
from printer.escpos_bytes import paper_width_px, render_escpos, render_preview
from printer.layout import ticket_blocks
from printer.samples import TRACK_URL, sample_checklist, sample_ticket
from printer.spec import PrinterSpec, parse_printer_uri
from tests import escpos_decode as dec

INIT = b"\x1b@"
PARTIAL_CUT = b"\x1dV\x01"
FULL_CUT = b"\x1dV\x00"
FEED_6 = b"\x1bd\x06"


def spec(uri: str = "dummy") -> PrinterSpec:
    return parse_printer_uri(uri)


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


def zbar(img: Image.Image, tmp_path: Path) -> list[str]:
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg missing (Debian package zbar-tools)")
    path = tmp_path / "decoded.png"
    img.convert("L").save(path)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True)
    return out.stdout.split()


def test_exact_bytes_for_a_tiny_image() -> None:
    img = Image.new("1", (16, 2), 255)
    img.putpixel((0, 0), 0)  # top-left dot
    img.putpixel((15, 1), 0)  # bottom-right dot
    data = render_escpos(img, spec())
    raster = b"\x1dv0\x00" + b"\x02\x00" + b"\x02\x00" + b"\x80\x00" + b"\x00\x01"
    assert data == INIT + raster + FEED_6 + PARTIAL_CUT


def test_full_mode_job_structure() -> None:
    data = render_escpos(sample_ticket(), spec())
    assert data.startswith(INIT + b"\x1dv0\x00")
    assert data.endswith(FEED_6 + PARTIAL_CUT)
    assert render_escpos(sample_ticket(), spec("dummy?cut=full")).endswith(FEED_6 + FULL_CUT)
    assert render_escpos(sample_ticket(), spec("dummy?cut=none")).endswith(FEED_6)
    assert b"\x1dV" not in render_escpos(sample_ticket(), spec("dummy?cut=none"))


@pytest.mark.parametrize("impl", ["bitImageRaster", "graphics", "bitImageColumn"])
@pytest.mark.parametrize("profile", ["TM-T20II", "TM-T88V"])
def test_full_mode_prints_exactly_the_preview(impl: str, profile: str) -> None:
    s = spec(f"dummy?impl={impl}&profile={profile}")
    slip = sample_ticket(priority_label="ƯU TIÊN", priority_group="Người cao tuổi")
    preview = render_preview(slip, s)
    events = dec.decode(render_escpos(slip, s))
    printed = dec.stacked_image(events, preview.width)
    # ESC * prints stripes of 24 dots: the last one is padded with white.
    assert printed.height - preview.height < (24 if impl == "bitImageColumn" else 1)
    assert ImageChops.difference(printed.crop((0, 0, *preview.size)), preview).getbbox() is None
    assert preview.width == paper_width_px(s)
    assert isinstance(events[0], dec.Init) and isinstance(events[-1], dec.Cut)


def test_fragments_join_back_into_the_preview() -> None:
    s = spec("dummy?fragment_height=100")
    preview = render_preview(sample_ticket(), s)
    events = dec.decode(render_escpos(sample_ticket(), s))
    fragments = dec.rasters(events)
    assert len(fragments) >= -(-preview.height // 100)
    assert all(f.image.height <= 100 for f in fragments)
    assert same_pixels(dec.stacked_image(events, preview.width), preview)


@pytest.mark.parametrize("uri", ["dummy", "dummy?fragment_height=960", "dummy?fragment_height=96"])
@pytest.mark.parametrize("mode", ["full", "compact"])
def test_no_raster_fragment_is_a_multiple_of_48_rows(uri: str, mode: str) -> None:
    tall = sample_checklist()  # a long document: many full-height fragments
    for source in (tall, sample_ticket(), Image.new("1", (64, 96 * 11), 255)):
        events = dec.decode(
            render_escpos(source, spec(f"{uri}{'&' if '?' in uri else '?'}mode={mode}"))
        )
        heights = [r.image.height for r in dec.rasters(events)]
        assert heights and all(h % 48 for h in heights), heights
        assert max(heights) <= spec(uri).fragment_height


def test_white_and_margins_cost_no_raster_bytes() -> None:
    """Bands of white go out one byte wide, inked bands end at their last black dot: the
    same picture, a fraction of the bytes."""
    s = spec()
    preview = render_preview(sample_ticket(), s)
    events = dec.decode(render_escpos(sample_ticket(), s))
    widths = {r.image.width for r in dec.rasters(events)}
    assert 8 in widths and max(widths) < preview.width
    raster_bytes = sum(r.image.width // 8 * r.image.height for r in dec.rasters(events))
    assert raster_bytes < 0.85 * preview.width // 8 * preview.height


@pytest.mark.parametrize("width", [576, 384])
def test_qr_code_in_the_printed_bytes_decodes(width: int, tmp_path: Path) -> None:
    s = spec("dummy" if width == 576 else "dummy?profile=POS-5890")
    printed = dec.stacked_image(dec.decode(render_escpos(sample_ticket(), s)))
    assert zbar(printed, tmp_path) == [TRACK_URL]


def test_job_sizes_on_80mm_paper() -> None:
    assert len(render_escpos(sample_ticket(), spec())) <= 40 * 1024
    assert len(render_escpos(sample_ticket(), spec("dummy?mode=compact"))) <= 12 * 1024


def test_compact_mode_uses_printer_text_and_native_qr() -> None:
    slip = sample_ticket()
    data = render_escpos(slip, spec("dummy?mode=compact"))
    events = dec.decode(data)
    lines = dec.texts(events)
    number = next(line for line in lines if line.text == "A012")
    assert number.width_scale == number.height_scale >= 4
    assert number.align == 1  # centred
    assert "25/07/2025 08:15" in [line.text for line in lines]
    assert all(line.text.isascii() and "?" not in line.text for line in lines)
    qrs = [e for e in events if isinstance(e, dec.QRCode)]
    assert [q.data.decode() for q in qrs] == [TRACK_URL]
    assert qrs[0].ec == 1  # error correction M
    assert 3 <= (qrs[0].module or 0) <= 6
    images = dec.rasters(events)
    assert images and all(r.image.width <= 576 for r in images)
    assert data.startswith(INIT) and data.endswith(FEED_6 + PARTIAL_CUT)


def test_compact_mode_draws_the_qr_when_the_profile_has_no_qr_command(tmp_path: Path) -> None:
    s = spec("dummy?mode=compact&profile=POS-5890")
    events = dec.decode(render_escpos(sample_ticket(), s))
    assert not any(isinstance(e, dec.QRCode) for e in events)
    biggest = max(dec.rasters(events), key=lambda r: r.image.height).image
    assert zbar(biggest, tmp_path) == [TRACK_URL]


def test_compact_images_are_the_vietnamese_lines_only() -> None:
    events = dec.decode(render_escpos(sample_ticket(), spec("dummy?mode=compact")))
    widths = [r.image.width for r in dec.rasters(events)]
    assert all(w % 8 == 0 for w in widths)
    # header (2 lines), site, label, service (2 lines), queue lines, counters, caption, notice
    assert len(widths) >= 10
    assert all(r.image.height % 48 for r in dec.rasters(events))


def test_documents_and_block_lists_encode_too() -> None:
    for mode in ("full", "compact"):
        s = spec(f"dummy?mode={mode}")
        assert dec.rasters(dec.decode(render_escpos(sample_checklist(), s)))
        blocks = (Text("ABC 123", "large", align="center"), Text("Tiếng Việt"))
        events = dec.decode(render_escpos(blocks, s))
        assert events[0] == dec.Init()


def test_images_never_have_a_height_multiple_of_48() -> None:
    img = Image.new("1", (64, 96), 0)
    events = dec.decode(render_escpos(img, spec()))
    assert [r.image.height for r in dec.rasters(events)] == [95, 1]


def test_width_comes_from_the_profile_unless_set() -> None:
    assert paper_width_px(spec()) == 576
    assert paper_width_px(spec("dummy?profile=POS-5890")) == 384
    assert paper_width_px(spec("dummy?profile=TM-T88V")) == 512
    assert paper_width_px(spec("dummy?width_px=512")) == 512
    assert render_preview(sample_ticket(), spec("dummy?width_px=512")).width == 512


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("dummy?profile=NoSuchPrinter", "unknown printer profile"),
        ("dummy?profile=POS-5890&impl=graphics", "does not support impl"),
        ("dummy?width_px=640", "wider than TM-T20II paper"),
        ("dummy?profile=default", "no known paper width"),
    ],
)
def test_bad_printer_settings(uri: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_escpos(sample_ticket(), spec(uri))


def test_too_wide_image_is_refused() -> None:
    with pytest.raises(ValueError, match="wide"):
        render_escpos(Image.new("1", (600, 10), 255), spec())


def test_same_slip_same_bytes() -> None:
    s = spec("dummy?mode=compact")
    assert render_escpos(sample_ticket(), s) == render_escpos(sample_ticket(), s)
    assert render_escpos(sample_ticket(), s) != render_escpos(
        replace(sample_ticket(), number="A013"), s
    )


def test_ticket_blocks_scale_with_paper() -> None:
    assert ticket_blocks(sample_ticket(), 384) != ticket_blocks(sample_ticket(), 576)


def test_decoder_rejects_unknown_commands() -> None:
    with pytest.raises(ValueError, match="unknown command"):
        dec.decode(b"\x1b@\x1b\x99")
    with pytest.raises(ValueError, match="truncated"):
        dec.decode(b"\x1dv0\x00\x02\x00\x02\x00\x80")


def test_compact_text_wraps_by_the_paper_not_the_profile() -> None:
    """A TM-T20II profile (48 columns) on 58 mm paper (384 dots: 32 columns of font A)."""
    line = "Please keep this ticket until your number is called"  # 51 characters
    blocks = (Text(line[:45], "body"), Text("A012", "huge", align="center"))
    events = dec.decode(render_escpos(blocks, spec("dummy?mode=compact&width_px=384")))
    printed = [t for t in dec.texts(events)]
    body = [t.text for t in printed if t.width_scale == 1]
    assert body and all(len(t) <= 32 for t in body)
    assert " ".join(body).split() == line[:45].split()  # whole words only, none broken
    number = next(t for t in printed if t.text == "A012")
    assert len(number.text) * number.width_scale <= 32


def feeds_around(events: list[dec.Event], index: int) -> tuple[int, int]:
    """White dots fed right before and right after ``events[index]``."""

    def white(seq: list[dec.Event]) -> int:
        dots = 0
        for e in seq:
            if isinstance(e, dec.Feed):
                dots += e.dots + 30 * e.lines
            elif isinstance(e, dec.Style | dec.Init):
                continue
            else:
                break
        return dots

    return white(list(reversed(events[:index]))), white(events[index + 1 :])


@pytest.mark.parametrize("uri", ["dummy?mode=compact", "dummy?mode=compact&width_px=512"])
def test_compact_native_qr_keeps_the_standard_quiet_zone(uri: str) -> None:
    events = dec.decode(render_escpos(sample_ticket(), spec(uri)))
    index, qr = next((i, e) for i, e in enumerate(events) if isinstance(e, dec.QRCode))
    above, below = feeds_around(events, index)
    module = qr.module or 0
    assert module >= 3
    assert above >= 4 * module and below >= 4 * module  # four modules of white each side
    # and the next thing printed is not a rule (a full-width line of dots)
    following = next(e for e in events[index + 1 :] if isinstance(e, dec.Raster | dec.TextLine))
    assert not (isinstance(following, dec.Raster) and following.image.height <= 3)


def black_bar_rows(img: Image.Image) -> int:
    """Rows with an unbroken run of at least 48 black dots (a banner's edges, rules, the big
    number's strokes)."""
    rows = 0
    for y in range(img.height):
        run = longest = 0
        for x in range(img.width):
            run = run + 1 if img.getpixel((x, y)) == 0 else 0
            longest = max(longest, run)
        rows += longest >= 48
    return rows


@pytest.mark.parametrize("profile", ["TM-T20II", "POS-5890"])
@pytest.mark.parametrize("mode", ["full", "compact"])
def test_priority_mark_in_every_print_mode(profile: str, mode: str) -> None:
    s = spec(f"dummy?profile={profile}&mode={mode}")
    marked = sample_ticket(priority_label="ƯU TIÊN", priority_group="Người cao tuổi")
    events = dec.decode(render_escpos(marked, s))
    plain = dec.decode(render_escpos(sample_ticket(), s))
    # The same ticket with the mark has a solid black bar more (the OCR test reads it too).
    bars = sum(black_bar_rows(r.image) for r in dec.rasters(events))
    assert bars - sum(black_bar_rows(r.image) for r in dec.rasters(plain)) >= 8


def test_full_80mm_tickets_stay_under_40_kb() -> None:
    """The heaviest ticket we print: priority, a two-line service, a procedure, the cut-off."""
    heavy = sample_ticket(
        priority_label="ƯU TIÊN",
        priority_group="Phụ nữ mang thai, người nuôi con nhỏ",
        procedure="Cấp bản sao trích lục hộ tịch",
    )
    english = replace(
        heavy,
        language="en",
        service_en="Certification",
        priority_label="PRIORITY",
        priority_group="Pregnant women, parents of infants",
    )
    for slip in (sample_ticket(), heavy, english):
        assert len(render_escpos(slip, spec())) <= 40_000
