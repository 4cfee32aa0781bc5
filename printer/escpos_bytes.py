"""Slips to ESC/POS bytes, through python-escpos's `Dummy` printer (no device is touched).

Two encodings, chosen by `PrinterSpec.mode`:

* ``full``: the whole slip as one picture (``spec.impl``), then the cut. What is printed is
  exactly `render_preview`. The picture goes out in horizontal bands: runs of white rows as
  bands one byte wide, the others cut off on the right after their last black dot. Rows advance
  the paper by exactly one dot whatever a band's width, so the print is the same picture for a
  fraction of the bytes (an 80 mm ticket is mostly white).
* ``compact``, for slow links: `printer.compact`.

Raster commands never carry more than ``spec.fragment_height`` rows, nor a multiple of 48 rows
(some cheap printers misprint those). Vietnamese is never sent as code-page text: printers
mangle it, so it is always drawn.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from PIL import Image

from printer._escpos import EscposPrinter, escpos_printer, get_profile
from printer.blocks import Block
from printer.layout import DocumentSlip, TicketSlip, slip_blocks
from printer.render import render_blocks
from printer.spec import PrinterSpec

Source = TicketSlip | DocumentSlip | Sequence[Block] | Image.Image

# Lines fed before the cut (the cutter sits above the print head) or, without a cutter, so
# that the slip can be torn off past the print. python-escpos's cut() feeds the same.
FEED_LINES = 6
BAD_HEIGHT_STEP = 48
# A run of at least this many white rows goes out as its own narrow band. Bands only ever
# meet at white rows: where a printer pauses between two commands, the pause prints nothing.
WHITE_RUN = 1
COLUMN_STRIPE = 24  # ESC * prints stripes of 24 dots


def profile_of(spec: PrinterSpec) -> Any:
    """The python-escpos profile named by ``spec``. Raises ValueError if unknown."""
    try:
        return get_profile(spec.profile)
    except KeyError:
        raise ValueError(f"unknown printer profile {spec.profile!r}") from None


def paper_width_px(spec: PrinterSpec) -> int:
    """Printable width in dots: ``spec.width_px``, else the profile's media width.

    Raises ValueError for an unknown profile, a profile with no known width and no
    ``width_px``, or a ``width_px`` wider than the profile's paper.
    """
    media = profile_of(spec).profile_data.get("media", {}).get("width", {}).get("pixels")
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


def render_preview(source: Source, spec: PrinterSpec) -> Image.Image:
    """The 1-bit image that ``full`` mode prints for ``source`` on this printer.

    Raises ValueError (bad profile or width, an image wider than the paper) and
    FontNotFoundError.
    """
    width = paper_width_px(spec)
    blocks = _blocks(source, width)
    if blocks is not None:
        return render_blocks(blocks, width)
    assert isinstance(source, Image.Image)
    if source.width > width:
        raise ValueError(f"image is {source.width} px wide, the paper {width} dots")
    return source if source.mode == "1" else source.convert("L").convert("1")


def render_escpos(source: Source, spec: PrinterSpec) -> bytes:
    """The complete ESC/POS job for ``source``: ``ESC @``, the content, feed and cut.

    ``source`` is a `TicketSlip`, a `DocumentSlip`, a sequence of blocks, or a finished image
    (always sent as in ``full`` mode). Raises ValueError if the profile is unknown or lacks
    ``spec.impl``, and FontNotFoundError if no font is installed.
    """
    from printer.compact import write_compact

    profile = profile_of(spec)
    if not profile.supports(spec.impl):
        raise ValueError(f"profile {spec.profile!r} does not support impl {spec.impl!r}")
    width = paper_width_px(spec)
    printer = escpos_printer.Dummy(profile=spec.profile)
    printer.hw("INIT")
    blocks = _blocks(source, width)
    if spec.mode == "compact" and blocks is not None:
        write_compact(printer, spec, width, blocks)
    else:
        send_image(printer, spec, render_preview(source, spec))
    if spec.cut == "none":
        printer.print_and_feed(FEED_LINES)
    else:
        printer.cut(mode="FULL" if spec.cut == "full" else "PART")
    return bytes(printer.output)


def send_image(printer: EscposPrinter, spec: PrinterSpec, img: Image.Image) -> None:
    """Print ``img`` (a "1" image, black ink) with ``spec.impl``, as the module docstring says."""
    if spec.impl == "bitImageColumn":
        # One stripe per command anyway; split only where no stripe gets padded.
        step = max(COLUMN_STRIPE, spec.fragment_height // COLUMN_STRIPE * COLUMN_STRIPE)
        printer.image(img, impl=spec.impl, fragment_height=step)
        return
    for band in raster_bands(img, spec.fragment_height):
        # Each band is already within the fragment height: python-escpos must not split it.
        printer.image(band, impl=spec.impl, fragment_height=band.height)


def fragment_heights(height: int, limit: int) -> Iterator[int]:
    """Heights of the raster commands for ``height`` rows: at most ``limit``, never a multiple
    of 48."""
    while height > 0:
        step = min(height, limit)
        if step % BAD_HEIGHT_STEP == 0:
            step -= 1
        yield step
        height -= step


def _ink_extents(img: Image.Image) -> list[int]:
    """For each row of a "1" image, the number of bytes up to its last black dot (0: white)."""
    row_bytes = (img.width + 7) // 8
    packed = img.tobytes()  # 1 = white; padding bits of a partial last byte are 0
    pad = row_bytes * 8 - img.width
    extents = []
    for y in range(img.height):
        row = bytearray(packed[y * row_bytes : (y + 1) * row_bytes])
        if pad:
            row[-1] |= (1 << pad) - 1  # padding counts as white
        extents.append(len(row.rstrip(b"\xff")))
    return extents


def raster_bands(img: Image.Image, limit: int) -> Iterator[Image.Image]:
    """``img`` as bands stacked top to bottom (see the module docstring)."""
    extents = _ink_extents(img)
    spans: list[tuple[int, int, int]] = []  # (top, bottom, width in bytes; 0 = white)
    y = 0
    while y < img.height:
        end = y
        while end < img.height and extents[end] == 0:
            end += 1
        if end - y >= WHITE_RUN or end == img.height:
            spans.append((y, end, 0))
            y = end
            continue
        # Ink: up to the next run of WHITE_RUN white rows.
        end, white = y, 0
        while end < img.height and white < WHITE_RUN:
            white = white + 1 if extents[end] == 0 else 0
            end += 1
        if white >= WHITE_RUN:
            end -= white
        spans.append((y, end, max(extents[y:end])))
        y = end
    for top, bottom, width_bytes in spans:
        for height in fragment_heights(bottom - top, limit):
            if width_bytes == 0:
                yield Image.new("1", (8, height), 255)
            else:
                yield img.crop((0, top, min(img.width, width_bytes * 8), top + height))
            top += height
