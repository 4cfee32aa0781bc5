"""``compact`` encoding, for slow links: as few dots as possible.

ASCII lines (the big number, the time) go in the printer's own font, sized with ``GS !`` and
wrapped by the paper's width in characters; the QR code as a native ``GS ( k`` symbol when the
profile has the ``qrCode`` feature (else as an image), with the standard quiet zone of four
modules above and below; the Vietnamese lines as small left-aligned images, one per line,
cropped to their ink, with the white between them sent as paper feeds.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence

from PIL import Image

from printer._escpos import QR_ECLEVEL_M, EscposPrinter
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
    margin_px,
)
from printer.escpos_bytes import send_image
from printer.fonts import load_font
from printer.render import ink_bbox, qr_module_px, render_block
from printer.spec import PrinterSpec
from printer.wrap import wrap_text

FEED_DOTS = b"\x1bJ"  # ESC J n: print, then feed n dots
NATIVE_FONT_PX = 24  # the printer's font A is 12 x 24 dots
NATIVE_CHAR_PX = 12
QUIET_MODULES = 4  # ISO/IEC 18004: white around a QR code
# Vietnamese lines are drawn smaller: every dot costs time on a slow link.
# Pixel sizes on 576-dot paper, scaled with the width like the named sizes.
COMPACT_PX: dict[str, int] = {"huge": 32, "large": 22, "body": 19, "small": 17}


def write_compact(
    printer: EscposPrinter, spec: PrinterSpec, width: int, blocks: Sequence[Block]
) -> None:
    """Write ``blocks`` to the python-escpos ``printer`` in compact form."""
    _Compact(printer, spec, width).write(blocks)


class _Compact:
    """Writes blocks one by one (see the module docstring)."""

    def __init__(self, printer: EscposPrinter, spec: PrinterSpec, width: int) -> None:
        self.p = printer
        self.spec = spec
        self.width = width
        self.margin = margin_px(width)
        self.room = width - 2 * self.margin
        # The paper, not the profile, decides how many characters fit: a TM-T20II profile
        # on 58 mm paper (width_px=384) has 32 columns, not the profile's 48.
        self.columns = min(int(printer.profile.get_columns(0)), width // NATIVE_CHAR_PX)
        self.pending_feed = 0
        self.min_feed = 0  # white the next thing must keep above itself (a QR's quiet zone)

    def write(self, blocks: Sequence[Block]) -> None:
        after_qr = False
        for block in flatten(blocks):
            if after_qr and isinstance(block, Rule) and not block.label:
                # The QR code's quiet zone separates it already; a rule close under the
                # symbol would only make it harder to read.
                self.pending_feed += block.thickness + 2 * block.pad
                continue
            if not isinstance(block, Spacer):
                after_qr = isinstance(block, QR)
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
        self.pending_feed = max(self.pending_feed, self.min_feed)
        self.min_feed = 0
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
        module = qr_module_px(block, self.room)
        self.pending_feed = max(self.pending_feed, QUIET_MODULES * module)
        self.flush_feed()
        # python-escpos 3.1 refuses center=True with native=True: centre with ESC a instead.
        self.p.set(align="center")
        self.p.qr(block.data, ec=QR_ECLEVEL_M, size=module, native=True)
        self.p.set(align="left")
        # The printer adds no white around the symbol: whatever follows keeps the quiet zone.
        self.min_feed = QUIET_MODULES * module

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
        box = ink_bbox(content)
        if box is None:
            self.pending_feed += content.height
            return
        _, top, right, bottom = box
        # Keep the left margin, drop the white on the right (in whole bytes of 8 dots).
        width = min(self.width, -(-(self.margin + right) // 8) * 8)
        strip = Image.new("1", (width, bottom - top), 255)
        strip.paste(content.crop((0, top, width - self.margin, bottom)), (self.margin, 0))
        self.pending_feed += top
        self.flush_feed()
        send_image(self.p, self.spec, strip)
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
        # A short mark (the priority): kept at full size, it must stand out; never a full bar.
        return dataclasses.replace(block, full_width=False)
    if isinstance(block, Rule):
        if block.label:
            return Text(block.label, _compact_px(block.label_size, width), bold=True)
        return dataclasses.replace(block, thickness=min(block.thickness, 2))
    return block
