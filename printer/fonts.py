"""Find the TrueType fonts the slips are drawn with.

DejaVu Sans (Debian ``fonts-dejavu-core``) first, Noto Sans (``fonts-noto-core``) as fallback;
both cover every precomposed Vietnamese letter. ``MOTCUA_FONT_DIR`` adds a folder to search first.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

# (regular, bold) file names, best first.
FAMILIES: tuple[tuple[str, str], ...] = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
)
SEARCH_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/noto",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
)


class FontNotFoundError(RuntimeError):
    """No usable font: a deployment problem, not a printer problem."""


def _search_dirs() -> list[Path]:
    extra = os.environ.get("MOTCUA_FONT_DIR")
    dirs = [extra] if extra else []
    dirs.extend(SEARCH_DIRS)
    return [Path(d).expanduser() for d in dirs]


def _find(name: str) -> Path | None:
    for folder in _search_dirs():
        direct = folder / name
        if direct.is_file():
            return direct
    for folder in _search_dirs():
        if folder.is_dir():
            for hit in sorted(folder.rglob(name)):
                if hit.is_file():
                    return hit
    return None


@lru_cache(maxsize=1)
def font_paths() -> tuple[Path, Path]:
    """(regular, bold) font files of the first family found.

    Raises FontNotFoundError naming the folders searched and the Debian packages to install.
    """
    for regular, bold in FAMILIES:
        found_regular, found_bold = _find(regular), _find(bold)
        if found_regular and found_bold:
            return found_regular, found_bold
    names = ", ".join(n for pair in FAMILIES for n in pair)
    folders = ", ".join(str(d) for d in _search_dirs())
    raise FontNotFoundError(
        f"no ticket font found ({names}) in {folders}: "
        "install the Debian package fonts-dejavu-core (or fonts-noto-core), "
        "or set MOTCUA_FONT_DIR"
    )


# A FreeType face must not be used by two threads at once, and a print worker may render
# while a web thread draws a preview: each thread keeps its own loaded fonts.
_per_thread = threading.local()


def load_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The slip font at ``size`` pixels (em height). Raises FontNotFoundError."""
    cache: dict[tuple[int, bool], ImageFont.FreeTypeFont] | None = getattr(
        _per_thread, "fonts", None
    )
    if cache is None:
        cache = _per_thread.fonts = {}
    font = cache.get((size, bold))
    if font is None:
        regular, heavy = font_paths()
        font = cache[(size, bold)] = ImageFont.truetype(str(heavy if bold else regular), size)
    return font


def covers(font: ImageFont.FreeTypeFont, text: str) -> bool:
    """True if ``font`` has a real glyph (not the "missing" box) for every character of ``text``."""
    missing = bytes(font.getmask("\uffff"))
    return all(ch.isspace() or bytes(font.getmask(ch)) != missing for ch in text)


MONO_FAMILIES: tuple[tuple[str, str], ...] = (
    ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    ("NotoSansMono-Regular.ttf", "NotoSansMono-Bold.ttf"),
)


@lru_cache(maxsize=1)
def mono_font_paths() -> tuple[Path, Path]:
    """(regular, bold) monospaced font files (for drawing printer-font text), else the slip
    font's. Raises FontNotFoundError."""
    for regular, bold in MONO_FAMILIES:
        found_regular, found_bold = _find(regular), _find(bold)
        if found_regular and found_bold:
            return found_regular, found_bold
    return font_paths()


def load_mono_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A monospaced font at ``size`` pixels. Raises FontNotFoundError."""
    cache: dict[tuple[int, bool], ImageFont.FreeTypeFont] | None = getattr(
        _per_thread, "mono", None
    )
    if cache is None:
        cache = _per_thread.mono = {}
    font = cache.get((size, bold))
    if font is None:
        regular, heavy = mono_font_paths()
        font = cache[(size, bold)] = ImageFont.truetype(str(heavy if bold else regular), size)
    return font
