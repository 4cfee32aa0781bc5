"""Realistic sample slips for previews, the benchmark and tests (demo data, not configuration).

``python -m printer.samples docs/tickets`` writes the PNG previews (``full`` mode, and one
``compact`` ticket drawn back from its bytes).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from printer.layout import DocumentSlip, TicketSlip, render_document, render_ticket

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HEADER = (
    "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG TP HÀ NỘI",
    "ĐIỂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG HÀ ĐÔNG",
)
SITE = "Trụ sở UBND phường Hà Đông – Bộ phận một cửa"
TRACK_URL = "https://motcua.example.vn/t/Xk3p9QwLm2A_f7"


def sample_ticket(**changes: Any) -> TicketSlip:
    """A typical certification ticket; keyword arguments replace fields."""
    slip = TicketSlip(
        header_lines=HEADER,
        site_name=SITE,
        number="A012",
        service_vi="Chứng thực bản sao từ bản chính, chữ ký, hợp đồng",
        issued_at=datetime(2025, 7, 25, 8, 15, tzinfo=TZ),
        ahead=5,
        wait_minutes=15,
        counters=("Quầy 1", "Quầy 2"),
        track_url=TRACK_URL,
        cutoff=time(15, 0),
    )
    return replace(slip, **changes)


def sample_checklist() -> DocumentSlip:
    """A procedure checklist as the guide would print it."""
    return DocumentSlip(
        title="Đăng ký khai sinh",
        subtitle="Giấy tờ cần chuẩn bị",
        header_lines=HEADER[1:],
        paragraphs=(
            "Xuất trình giấy tờ tùy thân (căn cước) khi nộp. Có thể nộp trực tuyến tại "
            "dichvucong.gov.vn bằng tài khoản VNeID mức 2.",
        ),
        bullets=(
            "Tờ khai đăng ký khai sinh (theo mẫu)",
            "Giấy chứng sinh do cơ sở y tế cấp (bản chính)",
        ),
        notes=(
            "Không cần mang giấy chứng nhận kết hôn của cha mẹ: cơ quan tự tra cứu.",
            "Đăng ký trong 60 ngày kể từ ngày sinh: miễn lệ phí.",
        ),
        qr_url="https://dichvucong.gov.vn/",
        qr_caption="Quét để mở Cổng dịch vụ công quốc gia",
        printed_at=datetime(2025, 7, 25, 8, 20, tzinfo=TZ),
    )


def previews() -> dict[str, tuple[TicketSlip | DocumentSlip, int]]:
    """File stem -> (slip, paper width in dots) for docs/tickets/."""
    return {
        "ticket-80mm-chungthuc": (sample_ticket(), 576),
        "ticket-80mm-hotich": (
            sample_ticket(
                number="B047",
                service_vi="Hộ tịch – Đăng ký khai sinh, kết hôn, khai tử",
                counters=("Quầy 3",),
                ahead=12,
                wait_minutes=45,
                issued_at=datetime(2025, 7, 25, 9, 42, tzinfo=TZ),
            ),
            576,
        ),
        "ticket-80mm-priority": (
            sample_ticket(
                number="A013",
                priority_label="ƯU TIÊN",
                priority_group="Người cao tuổi",
                ahead=0,
                wait_minutes=2,
            ),
            576,
        ),
        "ticket-80mm-english": (
            sample_ticket(
                number="K005",
                service_vi="Trả kết quả",
                service_en="Result pick-up",
                language="en",
                counters=("Counter 8",),
                ahead=2,
                wait_minutes=4,
                cutoff=None,
            ),
            576,
        ),
        "ticket-80mm-procedure": (
            sample_ticket(
                number="H021",
                service_vi="Hỗ trợ dịch vụ công trực tuyến",
                procedure="Đăng ký thường trú",
                counters=("Quầy 7",),
                ahead=3,
                wait_minutes=None,
                cutoff=None,
            ),
            576,
        ),
        "ticket-58mm-chungthuc": (sample_ticket(), 384),
        "checklist-80mm": (sample_checklist(), 576),
    }


def write_previews(folder: Path) -> list[Path]:
    """Render every preview into ``folder`` as PNG; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, (slip, width) in previews().items():
        if isinstance(slip, TicketSlip):
            image = render_ticket(slip, width)
        else:
            image = render_document(slip, width)
        path = folder / f"{stem}.png"
        image.save(path, optimize=True)
        written.append(path)
    # Compact mode, as the printer gets it: drawn back from the ESC/POS bytes.
    from printer.decode import decode, to_image
    from printer.escpos_bytes import render_escpos
    from printer.spec import parse_printer_uri

    compact = render_escpos(sample_ticket(), parse_printer_uri("dummy?mode=compact"))
    path = folder / "ticket-80mm-compact.png"
    to_image(decode(compact), 576).save(path, optimize=True)
    written.append(path)
    return written


if __name__ == "__main__":
    for path in write_previews(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/tickets")):
        print(path)
