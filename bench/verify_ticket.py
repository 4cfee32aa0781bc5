"""Read printed tickets back with tools motcua does not otherwise use: the ESC/POS bytes decoded by
npos (an ESC/POS parser from npm), the picture read by tesseract OCR with its Vietnamese data.

    .venv/bin/python bench/verify_ticket.py

For each sample ticket (80 and 58 mm, full and compact, Vietnamese and English) it checks that
npos parses the whole job, that in full mode npos's picture is exactly our preview, and that the
text OCR reads is Vietnamese only (no English word) unless the citizen chose English, with the
expected phrases. npos is installed on first use into bench/.cache/npos (``npm install
--ignore-scripts``); tesseract comes from Debian (``tesseract-ocr tesseract-ocr-vie``).
Results go to bench/results/ticket_verify.json; a markdown table goes to stdout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from printer.escpos_bytes import render_escpos, render_preview  # noqa: E402
from printer.layout import TicketSlip  # noqa: E402
from printer.samples import sample_ticket  # noqa: E402
from printer.spec import parse_printer_uri  # noqa: E402

NPOS = "npos@0.1.19"
CACHE = ROOT / "bench" / ".cache" / "npos"
ENGLISH = {
    "scan", "people", "wait", "ticket", "queue", "number", "valid", "today", "counter",
    "about", "estimate", "priority", "certification", "procedure", "min", "only",
}  # fmt: skip
VIETNAMESE_PHRASES = (
    "so thu tu",
    "chung thuc",
    "nguoi cho truoc",
    "du kien",
    "gia tri trong ngay",
    "khong phai",
    "tiep nhan ho so",
)
ENGLISH_PHRASES = ("queue number", "people ahead", "valid today only", "scan to follow")


def cases() -> dict[str, tuple[TicketSlip, str]]:
    priority = {"priority_label": "ƯU TIÊN", "priority_group": "Người cao tuổi"}
    english = {"language": "en", "service_en": "Certification", "cutoff": None}
    return {
        "80mm full": (sample_ticket(service_en="Certification"), "dummy"),
        "80mm full, priority": (sample_ticket(**priority), "dummy"),
        "80mm full, English": (sample_ticket(**english), "dummy"),
        "80mm compact": (sample_ticket(), "dummy?mode=compact"),
        "58mm full": (sample_ticket(), "dummy?profile=POS-5890"),
        "58mm compact": (sample_ticket(**priority), "dummy?profile=POS-5890&mode=compact"),
    }


def ensure_npos() -> Path:
    modules = CACHE / "node_modules"
    if not (modules / "npos").is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(CACHE), "--no-save", "--ignore-scripts",
             "--no-audit", "--no-fund", "--loglevel=error", NPOS],
            check=True,
            timeout=600,
        )  # fmt: skip
    return modules


def npos_decode(modules: Path, job: Path, out: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["node", str(ROOT / "bench" / "npos_decode.cjs"), str(job), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(modules)},
    )
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def ocr(image: Image.Image, languages: str, work: Path) -> str:
    path = work / "ocr.png"
    image.convert("L").resize((image.width * 2, image.height * 2)).save(path)
    out = subprocess.run(
        ["tesseract", str(path), "-", "-l", languages, "--psm", "6"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    return out.stdout


def plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(text.replace("—", " ").replace("-", " ").split())


def verify(name: str, slip: TicketSlip, uri: str, modules: Path, work: Path) -> dict[str, Any]:
    spec = parse_printer_uri(uri)
    data = render_escpos(slip, spec)
    job = work / "job.escpos"
    job.write_bytes(data)
    decoded = npos_decode(modules, job, work / "npos.pbm")
    row: dict[str, Any] = {"case": name, "printer": uri, "bytes": len(data), "npos": decoded}
    if "error" in decoded:
        row["ok"] = False
        return row
    with Image.open(work / "npos.pbm") as pbm:
        picture = pbm.convert("1")
    if spec.mode == "full":
        preview = render_preview(slip, spec)
        canvas = Image.new("1", (preview.width, picture.height), 255)
        canvas.paste(picture, (0, 0))
        same = ImageChops.difference(canvas.crop((0, 0, *preview.size)), preview).getbbox()
        row["npos_equals_preview"] = same is None and picture.height == preview.height
    english = slip.language == "en"
    text = plain(ocr(picture, "eng+vie" if english else "vie", work))
    # Printer-font lines (compact mode: the number, the time) come out of npos as text.
    text += " " + plain(" ".join(decoded["texts"]))
    words = {w.strip("().,:;'\"") for w in text.split()}
    expected = ENGLISH_PHRASES if english else VIETNAMESE_PHRASES
    row["missing"] = [p for p in expected if p not in text]
    row["english_words"] = [] if english else sorted(words & ENGLISH)
    row["ocr"] = text
    row["ok"] = (
        not row["missing"] and not row["english_words"] and row.get("npos_equals_preview", True)
    )
    return row


def main() -> int:
    for tool in ("node", "npm", "tesseract"):
        if shutil.which(tool) is None:
            print(f"verify_ticket: {tool} is missing", file=sys.stderr)
            return 2
    modules = ensure_npos()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (slip, uri) in cases().items():
            rows.append(verify(name, slip, uri, modules, Path(tmp)))
    out = ROOT / "bench" / "results" / "ticket_verify.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"decoder": NPOS, "ocr": "tesseract (vie)", "results": rows}, indent=2,
                   ensure_ascii=False) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    print("| ticket | bytes | npos parses | npos picture = preview | OCR: expected text | "
          "English words on a Vietnamese ticket |")  # fmt: skip
    print("|---|---:|---|---|---|---|")
    for r in rows:
        equal = {True: "yes", False: "NO", None: "–"}[r.get("npos_equals_preview")]
        print(
            f"| {r['case']} | {r['bytes']:,} | {'no' if 'error' in r['npos'] else 'yes'} "
            f"| {equal} | {'all' if not r.get('missing') else 'missing ' + str(r['missing'])} "
            f"| {', '.join(r.get('english_words') or []) or 'none'} |"
        )
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
