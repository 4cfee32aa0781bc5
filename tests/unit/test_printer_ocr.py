"""The printed ticket read back as a citizen would read it: the ESC/POS bytes drawn by the
decoder, then read by OCR (tesseract with its Vietnamese data, Debian ``tesseract-ocr-vie``).

Vietnamese tickets must read as Vietnamese only, English ones as English, in every print mode
and paper width, the priority mark included."""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from printer.decode import decode, to_image
from printer.escpos_bytes import render_escpos
from printer.samples import sample_ticket
from printer.spec import parse_printer_uri

PRINTERS = [
    "dummy",
    "dummy?mode=compact",
    "dummy?profile=POS-5890",
    "dummy?profile=POS-5890&mode=compact",
]
ENGLISH = {
    "scan", "people", "wait", "ticket", "queue", "number", "valid", "today", "counter",
    "about", "estimate", "priority", "certification", "procedure", "min",
}  # fmt: skip


def _tesseract_languages() -> set[str]:
    if shutil.which("tesseract") is None:
        return set()
    out = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30
    ).stdout
    return {line.strip() for line in out.splitlines()[1:]}


pytestmark = pytest.mark.skipif(
    not {"vie", "eng"} <= _tesseract_languages(),
    reason="needs tesseract with Vietnamese data (Debian tesseract-ocr tesseract-ocr-vie)",
)


def ocr(img: Image.Image, tmp_path: Path, languages: str, psm: int) -> str:
    path = tmp_path / "ticket.png"
    img.resize((img.width * 2, img.height * 2)).save(path)  # tesseract likes ~300 dpi
    out = subprocess.run(
        ["tesseract", str(path), "-", "-l", languages, "--psm", str(psm)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},  # threads only slow it down here
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def plain(text: str) -> str:
    """Lower case, no tone marks or diacritics, one space between words: OCR may drop a mark."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(text.replace("—", " ").replace("-", " ").split())


def find_mark(img: Image.Image) -> Image.Image | None:
    """The white-on-black mark: a black box (solid left and right edges, at least 16 rows
    tall, wider than tall) with white letters inside."""
    img = img.convert("L")
    width, height = img.size
    for y in range(height):
        x = 0
        while x < width:
            if img.getpixel((x, y)):
                x += 1
                continue
            end = x
            while end < width and not img.getpixel((end, y)):
                end += 1
            if end - x >= 60:
                bottom = y
                while bottom < height and not img.getpixel((x, bottom)):
                    if img.getpixel((end - 1, bottom)):
                        break
                    bottom += 1
                box = img.crop((x, y, end, bottom))
                black = box.histogram()[0] / (box.width * box.height)
                if bottom - y >= 16 and box.width > 1.5 * box.height and 0.5 < black < 0.95:
                    return box
            x = end
    return None


def read_ticket(uri: str, tmp_path: Path, languages: str, **changes: object) -> tuple[str, str]:
    """What OCR reads on the ticket, and on its white-on-black mark turned negative (which OCR
    does not read in place)."""
    slip = sample_ticket(priority_label="ƯU TIÊN", priority_group="Người cao tuổi", **changes)
    if changes.get("language") == "en":
        slip = sample_ticket(priority_label="PRIORITY", priority_group="Older people", **changes)
    image = to_image(decode(render_escpos(slip, parse_printer_uri(uri))))
    box = find_mark(image)
    assert box is not None, "no white-on-black mark"
    mark = ImageOps.expand(ImageOps.invert(box), border=20, fill=255)
    # One uniform block of text (psm 6); the mark as one line (psm 7).
    text = ocr(image, tmp_path, languages, 6)
    return plain(text), plain(ocr(mark, tmp_path, languages, 7))


@pytest.mark.parametrize("uri", PRINTERS)
def test_a_vietnamese_ticket_reads_vietnamese_only(uri: str, tmp_path: Path) -> None:
    text, negative = read_ticket(
        uri, tmp_path, "vie", service_en="Certification", procedure="Đăng ký thường trú"
    )
    assert "uu tien" in negative  # the mark, white on black
    for phrase in (
        "so thu tu",
        "nguoi cao tuoi",
        "chung thuc",
        "dang ky thuong tru",
        "nguoi cho truoc: 5",  # OCR may misread a letter or two: the distinctive parts
        "du kien",
        "khoang 15 phut",
        "gia tri trong ngay",
        "15:00",
        "khong phai giay tiep nhan",
    ):
        assert phrase in text, (phrase, text)
    words = {w.strip("().,:;'\"") for w in text.split()}
    assert not words & ENGLISH, words & ENGLISH


@pytest.mark.parametrize("uri", PRINTERS[:2])
def test_an_english_ticket_reads_english(uri: str, tmp_path: Path) -> None:
    text, negative = read_ticket(
        uri, tmp_path, "eng+vie", language="en", service_en="Certification", procedure=None
    )
    assert "priority" in negative
    for phrase in (
        "queue number",
        "older people",
        "certification",
        "people ahead: 5 (estimate)",
        "about 15 min",
        "valid today only",
        "scan to follow your turn",
        "not a dossier receipt",
    ):
        assert phrase in text, (phrase, text)
