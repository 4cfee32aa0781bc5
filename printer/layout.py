"""What goes on a queue ticket and on a reference document, as blocks and as an image.

A queue ticket is a place in a line, nothing more: it is not the official receipt of a dossier
and says so, carries no signature, promise or personal data, is valid on its day only, and the
people ahead and the wait are always marked as estimates. It speaks the citizen's language:
Vietnamese, or English when the citizen chose English (`TicketWording`).

Pure: no printer, no device. `printer.escpos_bytes` turns the blocks or the image into bytes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, time
from typing import Literal

from PIL import Image

from printer.blocks import (
    QR,
    Block,
    Columns,
    InvertedBanner,
    Rule,
    Spacer,
    Text,
)
from printer.render import render_blocks

# Below this paper width the QR code goes under the details instead of beside them.
SIDE_BY_SIDE_MIN_PX = 480
# The QR code's column on 576-dot paper: 4 dots (0.5 mm) a module, which phones read easily.
QR_SIDE_PX = 150
NBSP = "\u00a0"

DEFAULT_CHECKLIST_FOOTER = "Tài liệu tham khảo, không phải giấy tiếp nhận hồ sơ"

Language = Literal["vi", "en"]


def _nb(text: str) -> str:
    """``text`` with no-break spaces: it stays on one line."""
    return text.replace(" ", NBSP)


@dataclass(frozen=True)
class TicketWording:
    """The fixed phrases of a ticket in one language.

    ``ahead`` and the waits must keep saying the figures are only estimates; ``cutoff`` says a
    late application may be settled the next working day (a hint, never a promise).
    """

    number_label: str
    ahead: str
    wait: str
    wait_soon: str
    procedure: str
    qr_caption: str
    valid_today: str
    cutoff: str
    notice: str
    time_format: str = "%d/%m/%Y %H:%M"


VIETNAMESE = TicketWording(
    number_label="SỐ THỨ TỰ",
    ahead="Số người chờ trước: {n}" + NBSP + _nb("(dự kiến)"),
    wait="Dự kiến chờ: " + _nb("khoảng {m} phút"),
    wait_soon="Dự kiến chờ: " + _nb("sắp đến lượt"),
    procedure="Thủ tục: {procedure}",
    qr_caption="Quét mã để theo dõi lượt của Ông/Bà",
    valid_today="Phiếu chỉ có giá trị trong ngày",
    cutoff="Hồ sơ nhận sau {time} có thể được trả kết quả ngày làm việc sau",
    notice="Số thứ tự xếp hàng – không phải giấy tiếp nhận hồ sơ",
)
ENGLISH = TicketWording(
    number_label="QUEUE NUMBER",
    ahead="People ahead: {n}" + NBSP + _nb("(estimate)"),
    wait="Estimated wait: " + _nb("about {m} min"),
    wait_soon="Estimated wait: " + _nb("very soon"),
    procedure="Procedure: {procedure}",
    qr_caption="Scan to follow your turn",
    valid_today="Valid today only",
    cutoff="Applications after {time} may get their result the next working day",
    notice="Queue number only – not a dossier receipt",
)
WORDINGS: dict[str, TicketWording] = {"vi": VIETNAMESE, "en": ENGLISH}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _nfc_opt(text: str | None) -> str | None:
    return None if text is None else _nfc(text)


@dataclass(frozen=True)
class TicketSlip:
    """Everything printed on one queue ticket. Text is NFC-normalised on construction.

    ``priority_label`` is the mark printed white on black ("ƯU TIÊN"), ``priority_group`` the
    group under it. ``language``: what the citizen chose at the kiosk. A Vietnamese ticket
    prints nothing in English; an English one prints ``service_en`` (if the service has one)
    with the Vietnamese name under it (the name on the hall display). ``wait_minutes`` is
    already rounded by the caller (``None``: no estimate; 0: very soon). ``track_url`` is
    ``None`` when no address a phone can open is known: then no QR code is printed. ``cutoff``:
    for same-day services, the time after which an application may be settled the next working
    day. ``issued_at`` must be timezone-aware and already in local time (Asia/Ho_Chi_Minh): it
    is printed as is. Raises ValueError for a naive time or a negative count or wait.
    """

    header_lines: tuple[str, ...]
    site_name: str
    number: str
    service_vi: str
    issued_at: datetime
    ahead: int
    wait_minutes: int | None
    counters: tuple[str, ...]
    track_url: str | None
    language: Language = "vi"
    service_en: str | None = None
    priority_label: str | None = None
    priority_group: str | None = None
    procedure: str | None = None
    cutoff: time | None = None
    wording: TicketWording | None = None

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("TicketSlip.issued_at must be timezone-aware (local time)")
        if self.ahead < 0:
            raise ValueError("TicketSlip.ahead must not be negative")
        if self.wait_minutes is not None and self.wait_minutes < 0:
            raise ValueError("TicketSlip.wait_minutes must not be negative")
        if not self.number.strip():
            raise ValueError("TicketSlip.number must not be empty")
        if self.language not in WORDINGS:
            raise ValueError(f"TicketSlip.language must be vi or en, not {self.language!r}")
        for name in ("site_name", "number", "service_vi"):
            object.__setattr__(self, name, _nfc(getattr(self, name)))
        for name in ("service_en", "priority_label", "priority_group", "procedure", "track_url"):
            object.__setattr__(self, name, _nfc_opt(getattr(self, name)))
        for name in ("header_lines", "counters"):
            object.__setattr__(self, name, tuple(_nfc(s) for s in getattr(self, name)))

    @property
    def words(self) -> TicketWording:
        """The wording in force (``wording``, else the language's)."""
        return self.wording or WORDINGS[self.language]


@dataclass(frozen=True)
class DocumentSlip:
    """A generic printed reference: title, paragraphs, bullets, notes, optional QR and footer.

    Used for the procedure checklist; the footer says it is reference only, not a receipt.
    """

    title: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    header_lines: tuple[str, ...] = ()
    subtitle: str | None = None
    qr_url: str | None = None
    qr_caption: str | None = None
    footer: str = DEFAULT_CHECKLIST_FOOTER
    printed_at: datetime | None = None
    time_format: str = "%d/%m/%Y %H:%M"


def ticket_blocks(slip: TicketSlip, width_px: int = 576) -> tuple[Block, ...]:
    """The blocks of a queue ticket for paper ``width_px`` dots wide."""
    w = slip.words
    english = slip.language == "en"
    blocks: list[Block] = [
        Text(line, "small", bold=True, align="center", shrink_to=15) for line in slip.header_lines
    ]
    if slip.site_name:
        blocks.append(Text(slip.site_name, "small", align="center", shrink_to=16))
    if slip.priority_label:
        blocks += [Spacer(4), InvertedBanner(slip.priority_label, "large", full_width=False)]
        if slip.priority_group:
            blocks.append(Text(slip.priority_group, "body", bold=True, align="center"))
    blocks += [
        Rule(thickness=2, pad=4, label=w.number_label or None),
        Spacer(6),
        Text(slip.number, "huge", bold=True, align="center", shrink_to=48, tight=True),
        Spacer(6),
        Text(
            slip.service_en if english and slip.service_en else slip.service_vi,
            "large",
            True,
            "center",
        ),
    ]
    if english and slip.service_en:
        blocks.append(Text(slip.service_vi, "small", align="center"))
    if slip.procedure:
        blocks.append(Text(w.procedure.format(procedure=slip.procedure), "small", align="center"))
    blocks.append(Rule(thickness=1, pad=5))

    details: list[Block] = [
        Text(slip.issued_at.strftime(w.time_format), "body", bold=True),
        Text(w.ahead.format(n=slip.ahead), "body"),
    ]
    if slip.wait_minutes is not None:
        wait = w.wait.format(m=slip.wait_minutes) if slip.wait_minutes else w.wait_soon
        details.append(Text(wait, "body"))
    if slip.counters:
        details.append(Text(" · ".join(slip.counters), "body", True))
    if slip.track_url is None:
        blocks += _spaced(details, 4)
    elif width_px >= SIDE_BY_SIDE_MIN_PX:
        details.append(Text(w.qr_caption, "small"))
        blocks.append(
            Columns(main=_spaced(details, 4), side=(QR(slip.track_url),), side_px=QR_SIDE_PX)
        )
    else:
        blocks += [
            *_spaced(details, 4),
            QR(slip.track_url, max_px=width_px // 2),
            Text(w.qr_caption, "small", align="center"),
        ]

    blocks.append(Rule(thickness=1, pad=5))
    blocks.append(Text(w.valid_today, "small", bold=True, align="center", shrink_to=15))
    if slip.cutoff is not None:
        cutoff = w.cutoff.format(time=slip.cutoff.strftime("%H:%M"))
        blocks.append(Text(cutoff, "small", align="center", shrink_to=17))
    blocks.append(Text(w.notice, "small", align="center", shrink_to=15))
    return tuple(blocks)


def _spaced(blocks: list[Block], gap: int) -> tuple[Block, ...]:
    out: list[Block] = []
    for i, block in enumerate(blocks):
        if i:
            out.append(Spacer(gap))
        out.append(block)
    return tuple(out)


def document_blocks(doc: DocumentSlip, width_px: int = 576) -> tuple[Block, ...]:
    """The blocks of a reference document for paper ``width_px`` dots wide."""
    blocks: list[Block] = [
        Text(line, "small", bold=True, align="center", shrink_to=15) for line in doc.header_lines
    ]
    if doc.header_lines:
        blocks.append(Rule(thickness=2))
    blocks.append(Text(doc.title, "large", bold=True, align="center"))
    if doc.subtitle:
        blocks.append(Text(doc.subtitle, "body", align="center"))
    if doc.printed_at is not None:
        blocks.append(Text(doc.printed_at.strftime(doc.time_format), "small", align="center"))
    blocks.append(Rule(thickness=1))
    blocks += _spaced([Text(p, "body") for p in doc.paragraphs], 6)
    if doc.paragraphs and doc.bullets:
        blocks.append(Spacer(8))
    blocks += _spaced([Text(b, "body", bullet="☐") for b in doc.bullets], 6)
    if doc.notes:
        blocks.append(Spacer(8))
        blocks += _spaced([Text(n, "small", bullet="–") for n in doc.notes], 4)
    if doc.qr_url:
        blocks += [Spacer(8), QR(doc.qr_url, max_px=round(width_px * 0.45))]
        if doc.qr_caption:
            blocks.append(Text(doc.qr_caption, "small", align="center"))
    blocks += [Rule(thickness=1), Text(doc.footer, "small", True, "center", shrink_to=16)]
    return tuple(blocks)


def slip_blocks(slip: TicketSlip | DocumentSlip, width_px: int = 576) -> tuple[Block, ...]:
    """`ticket_blocks` or `document_blocks`, by the type of ``slip``."""
    if isinstance(slip, TicketSlip):
        return ticket_blocks(slip, width_px)
    if isinstance(slip, DocumentSlip):
        return document_blocks(slip, width_px)
    raise TypeError(f"not a slip: {type(slip).__name__}")


def render_ticket(slip: TicketSlip, width_px: int = 576) -> Image.Image:
    """The ticket as a 1-bit image ``width_px`` wide (576 for 80 mm, 384 for 58 mm paper).

    Raises FontNotFoundError if no font is installed.
    """
    return render_blocks(ticket_blocks(slip, width_px), width_px)


def render_document(doc: DocumentSlip, width_px: int = 576) -> Image.Image:
    """The document as a 1-bit image ``width_px`` wide. Raises FontNotFoundError."""
    return render_blocks(document_blocks(doc, width_px), width_px)
