"""A small ESC/POS decoder: bytes in, a list of events out, and those events drawn as a picture.

It understands the commands python-escpos emits for our jobs (init, styles, text, feeds, raster
images in all three encodings, native QR codes, cuts, status queries) and raises ValueError on
anything else, so an unexpected byte in a job fails a test instead of being skipped. `to_image`
draws a job as the paper would show it (printer-font text in a monospaced font of the same cell
size), for ``motcua escpos-png`` and the admin page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageOps

ESC, GS, DLE, LF, CR = 0x1B, 0x1D, 0x10, 0x0A, 0x0D


@dataclass
class Init:
    pass


@dataclass
class Style:
    """A style command: name (align, bold, size, font, codepage, …) and its value."""

    name: str
    value: int


@dataclass
class TextLine:
    text: str
    width_scale: int
    height_scale: int
    bold: bool
    align: int


@dataclass
class Feed:
    dots: int = 0
    lines: int = 0


@dataclass
class Raster:
    """An image; ``image`` is a "1" picture, black where a dot prints, white elsewhere."""

    command: str
    image: Image.Image
    density: int = 0


@dataclass
class QRCode:
    data: bytes
    module: int | None
    ec: int | None
    align: int = 0


@dataclass
class Cut:
    partial: bool
    feed: int | None = None


@dataclass
class Status:
    query: int


Event = Init | Style | TextLine | Feed | Raster | QRCode | Cut | Status


@dataclass
class _State:
    align: int = 0
    bold: bool = False
    width: int = 1
    height: int = 1
    text: list[int] = field(default_factory=list)
    qr_module: int | None = None
    qr_ec: int | None = None
    qr_data: bytes | None = None
    graphics: Image.Image | None = None


def _bits_to_image(data: bytes, width_bytes: int, height: int) -> Image.Image:
    """Raster data (MSB = leftmost dot, 1 = print) to a "1" image with black dots."""
    raw = Image.frombytes("1", (width_bytes * 8, height), data)
    return ImageOps.invert(raw.convert("L")).convert("1")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError(f"truncated command at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        lo, hi = self.take(2)
        return lo + 256 * hi


def decode(data: bytes) -> list[Event]:
    """Decode an ESC/POS job. Raises ValueError on an unknown or truncated command."""
    r = _Reader(data)
    st = _State()
    events: list[Event] = []

    def flush_text() -> None:
        if st.text:
            events.append(
                TextLine(bytes(st.text).decode("ascii"), st.width, st.height, st.bold, st.align)
            )
            st.text.clear()

    while r.pos < len(data):
        start = r.pos
        b = r.byte()
        if b == LF:
            events.append(
                TextLine(bytes(st.text).decode("ascii"), st.width, st.height, st.bold, st.align)
            )
            st.text.clear()
        elif b == CR:
            pass
        elif 0x20 <= b < 0x7F:
            st.text.append(b)
        elif b == ESC:
            flush_text()
            _esc(r, st, events)
        elif b == GS:
            flush_text()
            _gs(r, st, events)
        elif b == DLE:
            if r.byte() != 0x04:
                raise ValueError(f"unknown DLE command at byte {start}")
            events.append(Status(r.byte()))
        else:
            raise ValueError(f"unexpected byte 0x{b:02x} at {start}")
    flush_text()
    return events


def _esc(r: _Reader, st: _State, events: list[Event]) -> None:
    start = r.pos - 1
    c = r.byte()
    if c == ord("@"):
        st.align, st.bold, st.width, st.height = 0, False, 1, 1
        events.append(Init())
    elif c == ord("a"):
        st.align = r.byte() % 48
        events.append(Style("align", st.align))
    elif c == ord("E"):
        st.bold = bool(r.byte() & 1)
        events.append(Style("bold", int(st.bold)))
    elif c == ord("!"):
        mode = r.byte()
        st.bold = bool(mode & 0x08)
        st.height = 2 if mode & 0x10 else 1
        st.width = 2 if mode & 0x20 else 1
        events.append(Style("mode", mode))
    elif c in (ord("-"), ord("M"), ord("t"), ord("{"), ord("G"), ord("V"), ord("R")):
        events.append(Style(chr(c), r.byte()))
    elif c == ord("2"):
        events.append(Style("line_spacing", -1))
    elif c == ord("3"):
        events.append(Style("line_spacing", r.byte()))
    elif c == ord("d"):
        events.append(Feed(lines=r.byte()))
    elif c == ord("J"):
        events.append(Feed(dots=r.byte()))
    elif c == ord("*"):
        events.append(_column_image(r))
    else:
        raise ValueError(f"unknown command ESC 0x{c:02x} at byte {start}")


def _column_image(r: _Reader) -> Raster:
    """ESC * m nL nH d…: one stripe of 8 or 24 dots, column by column."""
    m = r.byte()
    n = r.u16()
    rows = 24 if m in (32, 33) else 8
    per_column = rows // 8
    data = r.take(n * per_column)
    img = Image.new("1", (n, rows), 255)
    for x in range(n):
        for k in range(per_column):
            byte = data[x * per_column + k]
            for bit in range(8):
                if byte & (0x80 >> bit):
                    img.putpixel((x, k * 8 + bit), 0)
    return Raster("ESC *", img, m)


def _gs(r: _Reader, st: _State, events: list[Event]) -> None:
    start = r.pos - 1
    c = r.byte()
    if c == ord("v"):
        if r.byte() != ord("0"):
            raise ValueError(f"unknown GS v variant at byte {start}")
        density = r.byte()
        width_bytes, height = r.u16(), r.u16()
        img = _bits_to_image(r.take(width_bytes * height), width_bytes, height)
        events.append(Raster("GS v 0", img, density))
    elif c == ord("!"):
        n = r.byte()
        st.width, st.height = (n >> 4) + 1, (n & 0x0F) + 1
        events.append(Style("size", n))
    elif c == ord("V"):
        m = r.byte()
        if m in (0, 1, 48, 49):
            events.append(Cut(partial=m in (1, 49)))
        else:
            events.append(Cut(partial=m in (66, 98), feed=r.byte()))
    elif c in (ord("B"), ord("b")):
        events.append(Style("invert" if c == ord("B") else "smooth", r.byte()))
    elif c == ord("("):
        kind = r.byte()
        body = r.take(r.u16())
        if kind == ord("L"):
            _graphics(body, st, events, start)
        elif kind == ord("k"):
            _symbol(body, st, events, start)
        else:
            raise ValueError(f"unknown GS ( 0x{kind:02x} at byte {start}")
    else:
        raise ValueError(f"unknown command GS 0x{c:02x} at byte {start}")


def _graphics(body: bytes, st: _State, events: list[Event], start: int) -> None:
    """GS ( L: fn 112 stores a raster graphic, fn 50 prints it."""
    m, fn = body[0], body[1]
    if m != 0x30:
        raise ValueError(f"unsupported GS ( L m={m} at byte {start}")
    if fn == 112:
        width, height = body[6] + 256 * body[7], body[8] + 256 * body[9]
        width_bytes = (width + 7) // 8
        img = _bits_to_image(body[10 : 10 + width_bytes * height], width_bytes, height)
        st.graphics = img.crop((0, 0, width, height))
    elif fn == 50:
        if st.graphics is None:
            raise ValueError(f"GS ( L print without stored graphics at byte {start}")
        events.append(Raster("GS ( L", st.graphics))
        st.graphics = None
    else:
        raise ValueError(f"unsupported GS ( L fn={fn} at byte {start}")


def _symbol(body: bytes, st: _State, events: list[Event], start: int) -> None:
    """GS ( k for QR codes (cn = 49): model, module size, error correction, store, print."""
    cn, fn = body[0], body[1]
    if cn != 49:
        raise ValueError(f"unsupported 2D code type {cn} at byte {start}")
    if fn == 65:
        pass
    elif fn == 67:
        st.qr_module = body[2]
    elif fn == 69:
        st.qr_ec = body[2] - 48
    elif fn == 80:
        st.qr_data = body[3:]
    elif fn == 81:
        if st.qr_data is None:
            raise ValueError(f"QR print without data at byte {start}")
        events.append(QRCode(st.qr_data, st.qr_module, st.qr_ec, st.align))
        st.qr_data = None
    else:
        raise ValueError(f"unsupported QR function {fn} at byte {start}")


def rasters(events: list[Event]) -> list[Raster]:
    """The raster images of a job, in order."""
    return [e for e in events if isinstance(e, Raster)]


def stacked_image(events: list[Event], width: int | None = None) -> Image.Image:
    """All raster images of a job stacked top to bottom (fragments joined), as printed, on paper
    ``width`` dots wide (default: the widest image).

    ``ESC *`` stripes are 8 or 24 dots high, so the result may be taller than the source image
    by up to 23 white rows.
    """
    parts = [e.image for e in rasters(events)]
    if not parts:
        raise ValueError("no raster image in the job")
    width = max([p.width for p in parts] + [width or 0])
    img = Image.new("1", (width, sum(p.height for p in parts)), 255)
    y = 0
    for part in parts:
        img.paste(part, (0, y))
        y += part.height
    return img


def texts(events: list[Event]) -> list[TextLine]:
    """The printer-font text lines of a job."""
    return [e for e in events if isinstance(e, TextLine) and e.text]


# --- drawing a decoded job -----------------------------------------------------------------

LINE_DOTS = 30  # ESC d n / a bare line feed: the printer's default line spacing, in dots
CELL_W, CELL_H = 12, 24  # the printer's font A


PAPER_WIDTHS = (384, 512, 576)  # 58 mm, 80 mm (TM-T88), 80 mm (most printers)


def to_image(events: list[Event], width: int | None = None) -> Image.Image:
    """The job drawn as the paper shows it, ``width`` dots wide (default: the usual paper width
    that holds the widest image, else 576). Printer-font text is drawn in a monospaced font of
    the printer's cell size; the cut is a dashed line."""
    widest = max([e.image.width for e in events if isinstance(e, Raster)], default=0)
    if width is None:
        width = next((w for w in PAPER_WIDTHS if widest <= w), widest) if widest else 576
    width = max(width, widest)
    parts: list[Image.Image] = []
    for e in events:
        if isinstance(e, Raster):
            parts.append(e.image)
        elif isinstance(e, TextLine):
            parts.append(_text_strip(e, width))
        elif isinstance(e, Feed):
            parts.append(Image.new("1", (width, e.dots + e.lines * LINE_DOTS), 255))
        elif isinstance(e, QRCode):
            parts.append(_qr_strip(e, width))
        elif isinstance(e, Cut):
            parts.append(_cut_strip(width))
    img = Image.new("1", (width, max(1, sum(p.height for p in parts))), 255)
    y = 0
    for part in parts:
        img.paste(part, (0, y))
        y += part.height
    return img


def _place(content: Image.Image, width: int, align: int) -> Image.Image:
    strip = Image.new("1", (width, content.height), 255)
    x = {1: (width - content.width) // 2, 2: width - content.width}.get(align, 0)
    strip.paste(content, (max(0, x), 0))
    return strip


def _text_strip(line: TextLine, width: int) -> Image.Image:
    from PIL import ImageDraw

    from printer.fonts import load_mono_font

    cell_w, cell_h = CELL_W * line.width_scale, CELL_H * line.height_scale
    if not line.text:
        return Image.new("1", (width, cell_h), 255)
    font = load_mono_font(20, line.bold)
    drawn = Image.new("L", (CELL_W * len(line.text), CELL_H), 255)
    ImageDraw.Draw(drawn).text((0, CELL_H - 4), line.text, font=font, fill=0, anchor="ls")
    scaled = drawn.resize((cell_w * len(line.text), cell_h)).point(lambda v: 255 if v > 150 else 0)
    return _place(scaled.convert("1"), width, line.align)


def _qr_strip(code: QRCode, width: int) -> Image.Image:
    import qrcode
    import qrcode.constants

    levels = [
        qrcode.constants.ERROR_CORRECT_L,
        qrcode.constants.ERROR_CORRECT_M,
        qrcode.constants.ERROR_CORRECT_Q,
        qrcode.constants.ERROR_CORRECT_H,
    ]
    module = code.module or 3
    qr = qrcode.QRCode(border=0, box_size=module, error_correction=levels[(code.ec or 0) % 4])
    qr.add_data(code.data.decode("utf-8", errors="replace"))
    qr.make(fit=True)
    matrix = qr.get_matrix()
    side = len(matrix) * module
    symbol = Image.new("1", (side, side), 255)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                symbol.paste(0, (c * module, r * module, (c + 1) * module, (r + 1) * module))
    return _place(symbol, width, code.align)


def _cut_strip(width: int) -> Image.Image:
    strip = Image.new("1", (width, 9), 255)
    for x in range(0, width, 12):
        strip.paste(0, (x, 4, min(width, x + 6), 5))
    return strip


MAX_JOB_BYTES = 16 * 1024 * 1024  # far more than any slip; refuse anything bigger unread


def escpos_file_to_png(source: str, target: str, width: int | None = None) -> tuple[int, int]:
    """Draw the ESC/POS job in file ``source`` as a PNG picture in ``target`` (``-``: stdout);
    returns the picture's size. Raises OSError for a file that cannot be read or written and
    ValueError for bytes that are not an ESC/POS job we understand (or an empty one)."""
    import sys

    with open(source, "rb") as f:
        data = f.read(MAX_JOB_BYTES + 1)
    if len(data) > MAX_JOB_BYTES:
        raise ValueError(f"{source}: larger than {MAX_JOB_BYTES // 1024 // 1024} MB")
    events = decode(data)
    if not any(isinstance(e, Raster | TextLine | QRCode) for e in events):
        raise ValueError(f"{source}: nothing printable in it")
    image = to_image(events, width)
    if target == "-":
        image.save(sys.stdout.buffer, format="PNG")
    else:
        image.save(target, format="PNG")
    return image.size
