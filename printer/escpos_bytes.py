"""Slips to ESC/POS bytes, through python-escpos's `Dummy` printer (no device is touched).

Two encodings, chosen by `PrinterSpec.mode`:

* ``full``: the whole slip as one raster image (``spec.impl``, ``spec.fragment_height``), then
  the cut. What is printed is exactly `render_preview`.
* ``compact``, for slow links: ASCII lines (the big number, the time) in the printer's own font,
  sized with ``GS !``; the QR code as a native ``GS ( k`` symbol when the profile has the
  ``qrCode`` feature (else as an image); only the Vietnamese lines as small left-aligned images,
  one per line, cropped to their ink, with the white between them sent as paper feeds.

Vietnamese is never sent as code-page text: printers mangle it, and python-escpos's code pages
cannot encode Vietnamese tone letters.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence
from typing import Any

from PIL import Image

from printer._escpos import QR_ECLEVEL_M, escpos_printer, get_profile
from printer.blocks import (
    QR,
    REFERENCE_WIDTH,
    Block,
    InvertedBanner,
    Rule,
    Size,
    Spacer,
    Text,
    flatten,
    font_px,
    ink_bbox,
    margin_px,
    qr_module_px,
    render_block,
    render_blocks,
    wrap_text,
)
from printer.fonts import load_font
from printer.layout import DocumentSlip, TicketSlip, slip_blocks
from printer.spec import PrinterSpec

Source = TicketSlip | DocumentSlip | Sequence[Block] | Image.Image

FEED_DOTS = b"\x1bJ"  # ESC J n: print, then feed n dots
# Lines fed before the cut (the cutter sits above the print head) or, without a cutter, so
# that the slip can be torn off past the print. python-escpos's cut() feeds the same.
FEED_LINES = 6
NATIVE_FONT_PX = 24  # the printer's font A is 12 x 24 dots
# Some cheap printers misprint raster images whose height is a multiple of 48 dots
# (a known firmware fault): such images get one more white row.
BAD_HEIGHT_STEP = 48
# Compact mode draws Vietnamese lines smaller: every dot costs time on a slow link.
# Pixel sizes on 576-dot paper, scaled with the width like the named sizes.
COMPACT_PX: dict[str, int] = {"huge": 32, "large": 22, "body": 19, "small": 17}


def _profile(spec: PrinterSpec) -> Any:
    try:
        return get_profile(spec.profile)
    except KeyError:
        raise ValueError(f"unknown printer profile {spec.profile!r}") from None


def paper_width_px(spec: PrinterSpec) -> int:
    """Printable width in dots: ``spec.width_px``, else the profile's media width.

    Raises ValueError for an unknown profile, a profile with no known width and no
    ``width_px``, or a ``width_px`` wider than the profile's paper.
    """
    media = _profile(spec).profile_data.get("media", {}).get("width", {}).get("pixels")
    known = media if isinstance(media, int) else None
    if spec.width_px is not None:
        if known is not None and spec.width_px > known:
            raise ValueError(
                f"width_px {spec.width_px} is wider than {spec.profile} paper ({known} dots)"
            )
        return spec.width_px
    if known is None:
        raise ValueError(f"profile {spec.profile!r} has no known paper width: set width_px")
    return known


def _blocks(source: Source, width: int) -> tuple[Block, ...] | None:
    if isinstance(source, Image.Image):
        return None
    if isinstance(source, TicketSlip | DocumentSlip):
        return slip_blocks(source, width)
    return tuple(source)


def _safe_height(img: Image.Image) -> Image.Image:
    if img.height % BAD_HEIGHT_STEP:
        return img
    taller = Image.new("1", (img.width, img.height + 1), 255)
    taller.paste(img, (0, 0))
    return taller


def render_preview(source: Source, spec: PrinterSpec) -> Image.Image:
    """The 1-bit image that ``full`` mode prints for ``source`` on this printer.

    Raises ValueError (bad profile or width, an image wider than the paper) and
    FontNotFoundError.
    """
    width = paper_width_px(spec)
    blocks = _blocks(source, width)
    if blocks is not None:
        return _safe_height(render_blocks(blocks, width))
    assert isinstance(source, Image.Image)
    if source.width > width:
        raise ValueError(f"image is {source.width} px wide, the paper {width} dots")
    img = source if source.mode == "1" else source.convert("L").convert("1")
    return _safe_height(img)


def render_escpos(source: Source, spec: PrinterSpec) -> bytes:
    """The complete ESC/POS job for ``source``: ``ESC @``, the content, feed and cut.

    ``source`` is a `TicketSlip`, a `DocumentSlip`, a sequence of blocks, or a finished image
    (always sent as in ``full`` mode). Raises ValueError if the profile is unknown or lacks
    ``spec.impl``, and FontNotFoundError if no font is installed.
    """
    profile = _profile(spec)
    if not profile.supports(spec.impl):
        raise ValueError(f"profile {spec.profile!r} does not support impl {spec.impl!r}")
    width = paper_width_px(spec)
    printer = escpos_printer.Dummy(profile=spec.profile)
    printer.hw("INIT")
    blocks = _blocks(source, width)
    if spec.mode == "compact" and blocks is not None:
        _Compact(printer, spec, width).write(blocks)
    else:
        image = render_preview(source, spec)
        printer.image(image, impl=spec.impl, fragment_height=spec.fragment_height)
    if spec.cut == "none":
        printer.print_and_feed(FEED_LINES)
    else:
        printer.cut(mode="FULL" if spec.cut == "full" else "PART")
    return bytes(printer.output)


class _Compact:
    """Writes blocks one by one (see the module docstring)."""

    def __init__(self, printer: Any, spec: PrinterSpec, width: int) -> None:
        self.p = printer
        self.spec = spec
        self.width = width
        self.margin = margin_px(width)
        self.room = width - 2 * self.margin
        self.columns: int = printer.profile.get_columns(0)
        self.pending_feed = 0

    def write(self, blocks: Sequence[Block]) -> None:
        for block in flatten(blocks):
            if isinstance(block, Spacer):
                self.pending_feed += block.height
            elif isinstance(block, Text) and _ascii(block.text) and not block.bullet:
                self.native_text(block)
            elif isinstance(block, QR) and self.p.profile.supports("qrCode"):
                self.native_qr(block)
            else:
                self.image(_smaller(block, self.width))
        self.flush_feed()

    def flush_feed(self) -> None:
        while self.pending_feed > 0:
            step = min(255, self.pending_feed)
            self.p._raw(FEED_DOTS + bytes((step,)))
            self.pending_feed -= step

    def native_text(self, block: Text) -> None:
        self.flush_feed()
        lines = block.text.split("\n")
        scale = max(1, min(8, round(font_px(block.size, self.width) / NATIVE_FONT_PX)))
        longest = max(len(word) for line in lines for word in (line.split() or [""]))
        while scale > 1 and longest * scale > self.columns:
            scale -= 1
        self.p.set(align=block.align, bold=block.bold, custom_size=True, width=scale, height=scale)
        for line in lines:
            for piece in textwrap.wrap(line, self.columns // scale) or [""]:
                self.p.textln(piece)
        self.p.set(align="left", bold=False, custom_size=True, width=1, height=1)

    def native_qr(self, block: QR) -> None:
        self.flush_feed()
        module = qr_module_px(block, self.room)
        # python-escpos 3.1 refuses center=True with native=True: centre with ESC a instead.
        self.p.set(align="center")
        self.p.qr(block.data, ec=QR_ECLEVEL_M, size=module, native=True)
        self.p.set(align="left")

    def image(self, block: Block) -> None:
        if isinstance(block, Text) and not block.bullet:
            font = load_font(font_px(block.size, self.width), block.bold)
            lines = wrap_text(block.text, font, self.room)
            if len(lines) > 1:
                # One image per line: each is cropped to its own ink, the gaps become feeds.
                for line in lines:
                    self.image(dataclasses.replace(block, text=line or " "))
                return
        content = render_block(block, self.room, self.width)
        if isinstance(block, InvertedBanner):
            content = _narrow_banner(content)
        box = ink_bbox(content)
        if box is None:
            self.pending_feed += content.height
            return
        _, top, right, bottom = box
        # Keep the left margin, drop the white on the right (in whole bytes of 8 dots).
        width = min(self.width, -(-(self.margin + right) // 8) * 8)
        strip = Image.new("1", (width, bottom - top), 255)
        strip.paste(content.crop((0, top, width - self.margin, bottom)), (self.margin, 0))
        strip = _safe_height(strip)
        self.pending_feed += top
        self.flush_feed()
        self.p.image(strip, impl=self.spec.impl, fragment_height=self.spec.fragment_height)
        self.pending_feed += max(0, content.height - top - strip.height)


def _ascii(text: str) -> bool:
    return text.strip() != "" and all(" " <= ch <= "~" or ch == "\n" for ch in text)


def _compact_px(size: Size | int, width: int) -> int:
    if isinstance(size, int):
        return size
    return max(15, round(COMPACT_PX[size] * width / REFERENCE_WIDTH))


def _smaller(block: Block, width: int) -> Block:
    """The compact form of a block drawn as an image: smaller, left-aligned, thin rules."""
    if isinstance(block, Text):
        size = _compact_px(block.size, width)
        return dataclasses.replace(block, size=size, align="left", shrink_to=None)
    if isinstance(block, InvertedBanner):
        return dataclasses.replace(block, size=_compact_px(block.size, width))
    if isinstance(block, Rule):
        if block.label:
            return Text(block.label, _compact_px(block.label_size, width), bold=True)
        return dataclasses.replace(block, thickness=min(block.thickness, 2))
    return block


def _narrow_banner(bar: Image.Image) -> Image.Image:
    """A full-width inverted banner cut down to its text plus padding, left-aligned."""
    text_box = bar.convert("L").getbbox()  # the only white on the bar is the text
    if text_box is None:
        return bar
    pad = max(4, (bar.height - (text_box[3] - text_box[1])) // 2)
    left, right = max(0, text_box[0] - pad), min(bar.width, text_box[2] + pad)
    out = Image.new("1", bar.size, 255)
    out.paste(bar.crop((left, 0, right, bar.height)), (0, 0))
    return out
