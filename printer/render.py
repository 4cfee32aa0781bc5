"""Drawing blocks (`printer.blocks`) as white-background 1-bit images, stacked to the paper width.

Pure: Pillow and qrcode only, no printer, no I/O beyond loading fonts.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont, ImageOps

from printer.blocks import (
    BLACK,
    QR,
    REFERENCE_WIDTH,
    THRESHOLD,
    WHITE,
    Align,
    Block,
    Columns,
    InvertedBanner,
    Rule,
    Spacer,
    Text,
    font_px,
    margin_px,
)
from printer.fonts import covers, load_font
from printer.wrap import balance, text_extent, text_width, wrap_text


def _blank(width: int, height: int) -> Image.Image:
    return Image.new("1", (width, max(0, height)), WHITE)


def _to_1bit(grey: Image.Image) -> Image.Image:
    return grey.point(lambda v: WHITE if v >= THRESHOLD else BLACK, mode="1")


def _draw_lines(
    lines: Sequence[str],
    font: ImageFont.FreeTypeFont,
    width: int,
    align: Align,
    tight: bool,
    indent: int = 0,
    ink: int = BLACK,
    paper: int = WHITE,
) -> Image.Image:
    """Draw ``lines`` on a greyscale strip ``width`` wide (``indent`` reserved on the left)."""
    ascent, descent = font.getmetrics()
    gap = max(1, round(float(font.size) * 0.12))
    boxes: list[tuple[int, int]] = []
    for line in lines:
        if line:
            _, top_f, _, bottom_f = font.getbbox(line, anchor="ls")
            top, bottom = int(top_f), int(bottom_f)
        else:
            top, bottom = -ascent, descent
        if tight:
            boxes.append((-top, bottom))
        else:
            boxes.append((max(ascent, -top), max(descent, bottom)))
    height = sum(a + d for a, d in boxes) + gap * (len(lines) - 1)
    strip = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(strip)
    y = 0
    room = width - indent
    for line, (above, below) in zip(lines, boxes, strict=True):
        left, right = text_extent(font, line)
        used = right - left
        if align == "center":
            x = indent + (room - used) // 2 - left
        elif align == "right":
            x = width - right
        else:
            x = indent - left
        if line:
            draw.text((x, y + above), line, font=font, fill=ink, anchor="ls")
        y += above + below + gap
    return strip


def _fit_font(block: Text, width: int, paper: int) -> ImageFont.FreeTypeFont:
    """The font for ``block``: its size, or smaller down to ``shrink_to`` to fit one line."""
    px = font_px(block.size, paper)
    font = load_font(px, block.bold)
    floor = block.shrink_to
    if floor is None or all(text_width(font, ln) <= width for ln in block.text.split("\n")):
        return font
    for smaller in range(px - 1, font_px(floor, paper) - 1, -1):
        candidate = load_font(smaller, block.bold)
        if all(text_width(candidate, ln) <= width for ln in block.text.split("\n")):
            return candidate
    return font


def _render_text(block: Text, width: int, paper: int) -> Image.Image:
    font = _fit_font(block, width, paper)
    if block.bullet:
        bullet = block.bullet if covers(font, block.bullet) else "•"
        marker = bullet + " "
        indent = text_width(font, marker)
        lines = wrap_text(block.text, font, width - indent)
        strip = _draw_lines(lines, font, width, "left", block.tight, indent=indent)
        ascent = max(font.getmetrics()[0], -font.getbbox(lines[0] or "A", anchor="ls")[1])
        ImageDraw.Draw(strip).text((0, ascent), bullet, font=font, fill=BLACK, anchor="ls")
    else:
        lines = wrap_text(block.text, font, width)
        if block.align == "center" and len(lines) > 1:
            lines = balance(block.text, font, width, lines)
        strip = _draw_lines(lines, font, width, block.align, block.tight)
    return _to_1bit(strip)


def _render_banner(block: InvertedBanner, width: int, paper: int) -> Image.Image:
    px = font_px(block.size, paper)
    floor = px if block.shrink_to is None else min(px, font_px(block.shrink_to, paper))
    for size in range(px, floor - 1, -1):
        font = load_font(size, block.bold)
        pad_x = max(4, int(font.size) // 3)
        pad_y = max(3, int(font.size) // 5)
        lines = wrap_text(block.text, font, width - 2 * pad_x)
        if len(lines) == 1:
            break
    else:
        font = load_font(px, block.bold)  # wrapped anyway: at the full size
        pad_x = max(4, int(font.size) // 3)
        pad_y = max(3, int(font.size) // 5)
        lines = wrap_text(block.text, font, width - 2 * pad_x)
    inner_width = width - 2 * pad_x
    if not block.full_width:
        inner_width = min(inner_width, max(text_width(font, line) for line in lines) + 2)
    inner = _draw_lines(lines, font, inner_width, "center", True, ink=WHITE, paper=BLACK)
    bar = Image.new("L", (inner_width + 2 * pad_x, inner.height + 2 * pad_y), BLACK)
    bar.paste(inner, (pad_x, pad_y))
    strip = Image.new("L", (width, bar.height), WHITE)
    strip.paste(bar, ((width - bar.width) // 2, 0))
    return _to_1bit(strip)


def ink_bbox(img: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom) of the black pixels of a "1" image, or None."""
    return ImageOps.invert(img.convert("L")).getbbox()


def _render_rule(block: Rule, width: int, paper: int) -> Image.Image:
    label = None
    if block.label:
        font = load_font(font_px(block.label_size, paper), True)
        label = _to_1bit(_draw_lines([block.label], font, width, "center", True))
        if text_width(font, block.label) > width - 4 * font.size:
            # Too long to sit inside the line: a plain rule, then the label.
            plain = _render_rule(Rule(block.thickness, block.pad, block.dashed), width, paper)
            return _stack_images([plain, label], width)
    height = block.thickness + 2 * block.pad
    if label is not None:
        height = max(height, label.height + 2)
    img = _blank(width, height)
    draw = ImageDraw.Draw(img)
    top = (height - block.thickness) // 2
    if block.dashed:
        dash = 8
        for x in range(0, width, 2 * dash):
            draw.rectangle((x, top, min(width, x + dash) - 1, top + block.thickness - 1), fill=0)
    else:
        draw.rectangle((0, top, width - 1, top + block.thickness - 1), fill=BLACK)
    if label is not None:
        left, _, right, _ = ink_bbox(label) or (0, 0, 0, 0)
        gap = label.height // 2
        y = (height - label.height) // 2
        draw.rectangle((left - gap, y, right + gap - 1, y + label.height - 1), fill=WHITE)
        img.paste(label, (0, y), mask=ImageOps.invert(label.convert("L")))
    return img


@lru_cache(maxsize=64)
def qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """QR modules for ``data`` (error correction M, smallest version), without quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def qr_module_px(block: QR, width: int) -> int:
    """Pixels per module for ``block`` in ``width``. Raises ValueError if under 3 px."""
    modules = len(qr_matrix(block.data)) + 2 * block.quiet_modules
    limit = min(width, block.max_px or width)
    module = min(block.max_module_px, limit // modules)
    if module < 3:
        raise ValueError(f"QR code for {len(block.data)} characters does not fit in {limit} px")
    return module


def _render_qr(block: QR, width: int) -> Image.Image:
    matrix = qr_matrix(block.data)
    module = qr_module_px(block, width)
    side = (len(matrix) + 2 * block.quiet_modules) * module
    img = _blank(width, side)
    draw = ImageDraw.Draw(img)
    x0 = (width - side) // 2 + block.quiet_modules * module
    y0 = block.quiet_modules * module
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x, y = x0 + c * module, y0 + r * module
                draw.rectangle((x, y, x + module - 1, y + module - 1), fill=BLACK)
    return img


def _render_columns(block: Columns, width: int, paper: int) -> Image.Image:
    scale = paper / REFERENCE_WIDTH
    side_w = min(width // 2, round(block.side_px * scale))
    gap = round(block.gap_px * scale)
    main = _stack(block.main, width - side_w - gap, paper)
    side = _stack(block.side, side_w, paper)
    img = _blank(width, max(main.height, side.height))
    img.paste(main, (0, (img.height - main.height) // 2))
    img.paste(side, (width - side_w, (img.height - side.height) // 2))
    return img


def render_block(block: Block, width: int, paper: int | None = None) -> Image.Image:
    """One block as a white-background "1" image exactly ``width`` wide.

    ``paper`` is the full paper width that named sizes scale with (default ``width``).
    Raises FontNotFoundError if no font is installed, ValueError for a QR code that cannot fit.
    """
    paper = paper or width
    if isinstance(block, Text):
        return _render_text(block, width, paper)
    if isinstance(block, InvertedBanner):
        return _render_banner(block, width, paper)
    if isinstance(block, Rule):
        return _render_rule(block, width, paper)
    if isinstance(block, Spacer):
        return _blank(width, block.height)
    if isinstance(block, QR):
        return _render_qr(block, width)
    if isinstance(block, Columns):
        return _render_columns(block, width, paper)
    raise TypeError(f"not a slip block: {block!r}")


def _stack(blocks: Sequence[Block], width: int, paper: int) -> Image.Image:
    return _stack_images([render_block(b, width, paper) for b in blocks], width)


def _stack_images(parts: Sequence[Image.Image], width: int) -> Image.Image:
    img = _blank(width, sum(p.height for p in parts))
    y = 0
    for part in parts:
        img.paste(part, (0, y))
        y += part.height
    return img


def render_blocks(blocks: Sequence[Block], width_px: int) -> Image.Image:
    """Stack ``blocks`` into one "1" image ``width_px`` wide, white background, black ink."""
    margin = margin_px(width_px)
    body = _stack(blocks, width_px - 2 * margin, width_px)
    img = _blank(width_px, body.height)
    img.paste(body, (margin, 0))
    return img
