"""A small block model for thermal slips, and its rendering to a 1-bit image.

A slip is a tuple of blocks stacked top to bottom: `Text`, `Rule`, `Spacer`, `QR`,
`InvertedBanner`, and `Columns` (a main column with a narrow side column, e.g. a QR code beside
the details). Sizes are named (``"small"`` … ``"huge"``) and mapped to pixels for the paper
width, so one layout serves 80 mm and 58 mm paper. Text is NFC-normalised and wrapped by measured
pixel width; nothing is ever clipped.

Pure: Pillow and qrcode only, no printer, no I/O beyond loading fonts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont, ImageOps

from printer.fonts import covers, load_font

Size = Literal["small", "body", "large", "huge"]
Align = Literal["left", "center", "right"]

WHITE = 255
BLACK = 0
# Sizes in pixels (em height) on 576-dot paper; narrower paper scales them down to a floor
# that stays readable for elderly citizens.
SIZE_PX: dict[str, tuple[int, int]] = {
    "small": (20, 17),
    "body": (24, 20),
    "large": (32, 25),
    "huge": (160, 112),
}
REFERENCE_WIDTH = 576
# Ink darker than this (0 black … 255 white) prints: a little under half keeps small strokes
# solid on thermal paper without bleeding counters shut.
THRESHOLD = 150
# (separator, what stays at the end of the line when breaking there)
PREFERRED_BREAKS: tuple[tuple[str, str], ...] = ((" · ", ""), (" – ", " –"))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Text:
    """One paragraph (``\\n`` starts a new line). Wrapped to the width, never clipped.

    ``shrink_to``: if the text does not fit on one line at ``size``, try smaller sizes down to
    this one before wrapping (headers, the big number). ``bullet``: a marker with the wrapped
    lines indented under the text. ``tight``: height from the ink, not the font's line box.
    A line that does not fit breaks preferably at " · ".
    """

    text: str
    size: Size | int = "body"
    bold: bool = False
    align: Align = "left"
    shrink_to: Size | int | None = None
    bullet: str | None = None
    tight: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _nfc(self.text))
        if self.bullet is not None:
            object.__setattr__(self, "bullet", _nfc(self.bullet))


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the width, with ``pad`` white pixels above and below.

    With a ``label``, the label sits in a gap in the middle of the line (small bold text).
    """

    thickness: int = 2
    pad: int = 6
    dashed: bool = False
    label: str | None = None
    label_size: Size | int = "small"

    def __post_init__(self) -> None:
        if self.label is not None:
            object.__setattr__(self, "label", _nfc(self.label))


@dataclass(frozen=True)
class Spacer:
    """Vertical white space, in pixels."""

    height: int


@dataclass(frozen=True)
class QR:
    """A QR code (error correction M) centred in the width.

    The module size is the largest whole number of pixels, up to ``max_module_px``, that keeps
    the code with its quiet zone within ``max_px`` (default: the width); at least 3 px per
    module or ValueError.
    """

    data: str
    max_px: int | None = None
    quiet_modules: int = 2
    max_module_px: int = 6


@dataclass(frozen=True)
class InvertedBanner:
    """White text on a black bar across the width (e.g. a priority marker)."""

    text: str
    size: Size | int = "large"
    bold: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _nfc(self.text))


@dataclass(frozen=True)
class Columns:
    """``main`` on the left, ``side`` (``side_px`` wide on 576-dot paper) on the right.

    The shorter column is centred vertically. Linear outputs (compact ESC/POS) print ``main``
    then ``side``.
    """

    main: tuple[Block, ...]
    side: tuple[Block, ...]
    side_px: int = 200
    gap_px: int = 12


Block = Text | Rule | Spacer | QR | InvertedBanner | Columns


def flatten(blocks: Iterable[Block]) -> Iterator[Block]:
    """The blocks in reading order, with every `Columns` replaced by its main then side blocks."""
    for block in blocks:
        if isinstance(block, Columns):
            yield from flatten(block.main)
            yield from flatten(block.side)
        else:
            yield block


def font_px(size: Size | int, width: int) -> int:
    """Pixel size of a named size on paper ``width`` dots wide (an int passes through)."""
    if isinstance(size, int):
        return size
    base, floor = SIZE_PX[size]
    return max(floor, round(base * width / REFERENCE_WIDTH))


@lru_cache(maxsize=8192)
def text_extent(font: ImageFont.FreeTypeFont, line: str) -> tuple[int, int]:
    """(left, right) ink/advance extent of ``line`` drawn at x=0, in pixels.

    Cached: wrapping and balancing measure the same candidate lines many times. Fonts are
    per thread (see printer.fonts), so a cached entry is only ever computed by its own thread.
    """
    if not line:
        return 0, 0
    left, _, right, _ = font.getbbox(line, anchor="ls")
    return min(0, int(left)), max(int(right), round(font.getlength(line)))


def text_width(font: ImageFont.FreeTypeFont, line: str) -> int:
    """Width in pixels that ``line`` needs so that no ink is cut."""
    left, right = text_extent(font, line)
    return right - left


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Split ``text`` into lines no wider than ``max_width`` pixels.

    ``\n`` starts a new line. Lines break at spaces (not at no-break spaces), and inside a
    word only when the word alone is too wide. Where that gives no more lines, a line breaks
    at " · " (the dot is dropped) or " – " (the dash ends the line) instead.
    """
    lines: list[str] = []
    for paragraph in _nfc(text).split("\n"):
        lines.extend(_wrap_paragraph(paragraph, font, max_width))
    return lines


def _wrap_paragraph(paragraph: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    plain = _wrap_words(paragraph, font, max_width)
    if len(plain) == 1:
        return plain
    for separator, tail in PREFERRED_BREAKS:
        if separator in paragraph:
            parts = paragraph.split(separator)
            lines: list[str] = []
            for i, part in enumerate(parts):
                piece = part + (tail if i < len(parts) - 1 else "")
                lines.extend(_wrap_paragraph(piece, font, max_width))
            # Breaking at the separator is preferred, but not at the cost of an extra line.
            if len(lines) <= len(plain):
                return lines
    return plain


def _wrap_words(paragraph: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    words = [w for w in paragraph.split(" ") if w]
    if not words:
        return [""]
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if text_width(font, candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if text_width(font, word) <= max_width:
            current = word
        else:
            *full, current = _break_word(word, font, max_width)
            lines.extend(full)
    lines.append(current)
    return lines


def _break_word(word: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Split a single over-long word into pieces that fit, keeping combining marks attached."""
    clusters: list[str] = []
    for ch in word:
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    pieces: list[str] = []
    current = ""
    for cluster in clusters:
        if current and text_width(font, current + cluster) > max_width:
            pieces.append(current)
            current = cluster
        else:
            current += cluster
    pieces.append(current)
    return pieces


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
            lines = _balance(block.text, font, width, lines)
        strip = _draw_lines(lines, font, width, block.align, block.tight)
    return _to_1bit(strip)


def _separator_breaks(text: str, lines: Sequence[str]) -> int:
    """How many line ends fall on a preferred break (" · " or " – ") of ``text``."""
    count = 0
    for line, following in zip(lines, lines[1:], strict=False):
        head = following.split(" ")[0]
        if line.endswith(" –") or f"{line} · {head}" in text:
            count += 1
    return count


def _balance(text: str, font: ImageFont.FreeTypeFont, width: int, lines: list[str]) -> list[str]:
    """Re-wrap ``text`` into as many lines as ``lines``, as even as possible.

    Keeps the breaks at " · " and " – " that ``lines`` has; returns ``lines`` if it cannot.
    """
    count, breaks = len(lines), _separator_breaks(text, lines)

    def good(candidate: list[str]) -> bool:
        return len(candidate) <= count and _separator_breaks(text, candidate) >= breaks

    # Never narrower than the widest word: balancing must not start breaking words.
    low = min(width, max(text_width(font, w) for w in text.split() or [""]))
    high = width
    while low < high:
        mid = (low + high) // 2
        if good(wrap_text(text, font, mid)):
            high = mid
        else:
            low = mid + 1
    balanced = wrap_text(text, font, low)
    return balanced if good(balanced) else lines


def _render_banner(block: InvertedBanner, width: int, paper: int) -> Image.Image:
    font = load_font(font_px(block.size, paper), block.bold)
    pad_x = max(4, int(font.size) // 3)
    pad_y = max(3, int(font.size) // 5)
    lines = wrap_text(block.text, font, width - 2 * pad_x)
    inner = _draw_lines(lines, font, width - 2 * pad_x, "center", True, ink=WHITE, paper=BLACK)
    bar = Image.new("L", (width, inner.height + 2 * pad_y), BLACK)
    bar.paste(inner, (pad_x, pad_y))
    return _to_1bit(bar)


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


def margin_px(width: int) -> int:
    """White margin on each side of the printable width."""
    return max(4, width // 72)


def render_blocks(blocks: Sequence[Block], width_px: int) -> Image.Image:
    """Stack ``blocks`` into one "1" image ``width_px`` wide, white background, black ink."""
    margin = margin_px(width_px)
    body = _stack(blocks, width_px - 2 * margin, width_px)
    img = _blank(width_px, body.height)
    img.paste(body, (margin, 0))
    return img
