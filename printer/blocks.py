"""A small block model for thermal slips (`printer.render` draws it, `printer.wrap` wraps its text).

A slip is a tuple of blocks stacked top to bottom: `Text`, `Rule`, `Spacer`, `QR`,
`InvertedBanner`, and `Columns` (a main column with a narrow side column, e.g. a QR code beside
the details). Sizes are named (``"small"`` … ``"huge"``) and mapped to pixels for the paper
width, so one layout serves 80 mm and 58 mm paper. Text is NFC-normalised and wrapped by measured
pixel width; nothing is ever clipped.

Pure values: no printer, no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

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
    "huge": (148, 112),
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
    quiet_modules: int = 4  # the standard quiet zone (ISO/IEC 18004)
    max_module_px: int = 6


@dataclass(frozen=True)
class InvertedBanner:
    """White text on a black bar (e.g. a priority marker): across the width, or with
    ``full_width=False`` just around the text, centred.

    ``shrink_to``: if the text does not fit on one line, try smaller sizes down to this one
    before wrapping (a second line of solid black costs the most dots of any block).
    """

    text: str
    size: Size | int = "large"
    bold: bool = True
    shrink_to: Size | int | None = None
    full_width: bool = True

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


def margin_px(width: int) -> int:
    """White margin on each side of the printable width."""
    return max(4, width // 72)
