"""What goes on a queue ticket and on a reference document, as blocks and as an image.

A queue ticket is a place in a line, nothing more (docs/domain.md): it never says
"giấy tiếp nhận" or "hẹn trả kết quả", carries no signature, promise or personal data, and the
wait is always marked as an estimate. The Vietnamese defaults below can be replaced from
configuration through `TicketWording`.

Pure: no printer, no device. `printer.escpos_bytes` turns the blocks or the image into bytes.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image

from printer.blocks import (
    QR,
    Block,
    Columns,
    InvertedBanner,
    Rule,
    Spacer,
    Text,
    render_blocks,
)

# Below this paper width the QR code goes under the details instead of beside them.
SIDE_BY_SIDE_MIN_PX = 480
NBSP = "\u00a0"

DEFAULT_NOTICE_VI = "Số thứ tự xếp hàng – không phải giấy tiếp nhận hồ sơ"
DEFAULT_CHECKLIST_FOOTER = "Tài liệu tham khảo, không phải giấy tiếp nhận hồ sơ"


@dataclass(frozen=True)
class TicketWording:
    """The fixed phrases of a ticket. ``wait`` must keep saying the figure is only an estimate."""

    number_label: str = "SỐ THỨ TỰ"
    ahead: str = "Trước bạn: {n}" + NBSP + "người"
    # No-break spaces keep "~15 phút" and the whole parenthesis on one line each.
    wait: str = (
        "Dự kiến chờ: ~{m}" + NBSP + "phút " + "(dự kiến, chỉ để tham khảo)".replace(" ", NBSP)
    )
    counters: str = "{counters}"
    procedure: str = "Thủ tục: {procedure}"
    qr_caption: str = "Quét để theo dõi lượt của bạn"
    qr_caption_en: str = "Scan to follow your turn"
    time_format: str = "%d/%m/%Y %H:%M"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _nfc_opt(text: str | None) -> str | None:
    return None if text is None else _nfc(text)


@dataclass(frozen=True)
class TicketSlip:
    """Everything printed on one queue ticket. Text is NFC-normalised on construction.

    ``issued_at`` must be timezone-aware and already in local time (Asia/Ho_Chi_Minh): it is
    printed as is. Raises ValueError for a naive time or a negative count.
    """

    header_lines: tuple[str, ...]
    site_name: str
    number: str
    service_vi: str
    service_en: str | None
    issued_at: datetime
    ahead: int
    estimated_wait_s: int | None
    counters: tuple[str, ...]
    track_url: str
    priority_label: str | None = None
    procedure: str | None = None
    notice_vi: str = DEFAULT_NOTICE_VI
    notice_en: str | None = None
    wording: TicketWording = field(default_factory=TicketWording)

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("TicketSlip.issued_at must be timezone-aware (local time)")
        if self.ahead < 0:
            raise ValueError("TicketSlip.ahead must not be negative")
        if self.estimated_wait_s is not None and self.estimated_wait_s < 0:
            raise ValueError("TicketSlip.estimated_wait_s must not be negative")
        if not self.number.strip():
            raise ValueError("TicketSlip.number must not be empty")
        for name in ("site_name", "number", "service_vi", "notice_vi", "track_url"):
            object.__setattr__(self, name, _nfc(getattr(self, name)))
        for name in ("service_en", "priority_label", "procedure", "notice_en"):
            object.__setattr__(self, name, _nfc_opt(getattr(self, name)))
        for name in ("header_lines", "counters"):
            object.__setattr__(self, name, tuple(_nfc(s) for s in getattr(self, name)))


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


def wait_minutes(seconds: int) -> int:
    """Minutes shown for an estimated wait: rounded up, never below 1."""
    return max(1, math.ceil(seconds / 60))


def ticket_blocks(slip: TicketSlip, width_px: int = 576) -> tuple[Block, ...]:
    """The blocks of a queue ticket for paper ``width_px`` dots wide."""
    w = slip.wording
    blocks: list[Block] = [
        Text(line, "small", bold=True, align="center", shrink_to=15) for line in slip.header_lines
    ]
    if slip.site_name:
        blocks.append(Text(slip.site_name, "small", align="center", shrink_to=16))
    if slip.priority_label:
        blocks += [Spacer(6), InvertedBanner(slip.priority_label, "large")]
    blocks += [
        Rule(thickness=2, pad=4, label=w.number_label or None),
        Spacer(8),
        Text(slip.number, "huge", bold=True, align="center", shrink_to=48, tight=True),
        Spacer(10),
        Text(slip.service_vi, "large", bold=True, align="center"),
    ]
    if slip.service_en:
        blocks.append(Text(slip.service_en, "body", align="center"))
    if slip.procedure:
        blocks.append(Text(w.procedure.format(procedure=slip.procedure), "small", align="center"))
    blocks.append(Rule(thickness=1, pad=5))

    details: list[Block] = [Text(slip.issued_at.strftime(w.time_format), "body", bold=True)]
    queue_line = w.ahead.format(n=slip.ahead)
    if slip.estimated_wait_s is not None:
        queue_line += " · " + w.wait.format(m=wait_minutes(slip.estimated_wait_s))
    details.append(Text(queue_line, "body"))
    if slip.counters:
        details.append(Text(w.counters.format(counters=" · ".join(slip.counters)), "body", True))
    caption = w.qr_caption + (f" / {w.qr_caption_en}" if slip.service_en else "")
    if width_px >= SIDE_BY_SIDE_MIN_PX:
        details.append(Text(caption, "small"))
        blocks.append(Columns(main=_spaced(details, 4), side=(QR(slip.track_url),), side_px=190))
    else:
        blocks += [
            *_spaced(details, 4),
            QR(slip.track_url, max_px=width_px // 2),
            Text(caption, "small", align="center"),
        ]

    blocks.append(Rule(thickness=1, pad=5))
    blocks.append(Text(slip.notice_vi, "small", bold=True, align="center", shrink_to=16))
    if slip.notice_en:
        blocks.append(Text(slip.notice_en, "small", align="center", shrink_to=16))
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
