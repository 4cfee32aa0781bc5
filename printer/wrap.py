"""Measuring and wrapping slip text by its drawn width in pixels.

Lines break at spaces (never at no-break spaces), preferably at " · " or " – ", and inside a
word only when the word alone is too wide (combining marks stay with their letter).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from PIL import ImageFont

from printer.blocks import PREFERRED_BREAKS


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
    for paragraph in unicodedata.normalize("NFC", text).split("\n"):
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


def _separator_breaks(text: str, lines: Sequence[str]) -> int:
    """How many line ends fall on a preferred break (" · " or " – ") of ``text``."""
    count = 0
    for line, following in zip(lines, lines[1:], strict=False):
        head = following.split(" ")[0]
        if line.endswith(" –") or f"{line} · {head}" in text:
            count += 1
    return count


def balance(text: str, font: ImageFont.FreeTypeFont, width: int, lines: list[str]) -> list[str]:
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
