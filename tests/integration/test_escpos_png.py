"""``motcua escpos-png IN OUT``: what a spooled job prints, as a picture; bad input is a
one-line error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from printer.escpos_bytes import render_escpos, render_preview
from printer.samples import TRACK_URL, sample_ticket
from printer.spec import parse_printer_uri


def motcua(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, timeout=120
    )


def one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run ``motcua ARGS`` in this process; it must fail with one line on stderr."""
    from kiosk.cli import main

    assert main(list(args)) != 0
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("motcua: error: "), err
    return lines[0]


def test_a_full_mode_job_draws_exactly_its_preview(tmp_path: Path) -> None:
    spec = parse_printer_uri("dummy")
    job = tmp_path / "ticket.escpos"
    job.write_bytes(render_escpos(sample_ticket(), spec))
    out = motcua("escpos-png", str(job), str(tmp_path / "ticket.png"))
    assert out.returncode == 0, out.stderr
    with Image.open(tmp_path / "ticket.png") as png:
        drawn = png.convert("1")
    assert out.stdout.strip() == f"{tmp_path / 'ticket.png'}: 576 x {drawn.height} dots"
    preview = render_preview(sample_ticket(), spec)
    # The picture is the ticket, then the feed before the cut and the cut line.
    assert drawn.width == preview.width and drawn.height > preview.height
    top = drawn.crop((0, 0, preview.width, preview.height))
    assert ImageChops.difference(top.convert("L"), preview.convert("L")).getbbox() is None


def test_a_compact_job_with_printer_text_and_a_native_qr_code(tmp_path: Path) -> None:
    job = tmp_path / "compact.escpos"
    job.write_bytes(render_escpos(sample_ticket(), parse_printer_uri("dummy?mode=compact")))
    out = motcua("escpos-png", str(job), str(tmp_path / "compact.png"), "--width", "576")
    assert out.returncode == 0, out.stderr
    if shutil.which("zbarimg") is None:
        pytest.skip("zbarimg missing (Debian package zbar-tools)")
    read = subprocess.run(
        ["zbarimg", "--raw", "-q", str(tmp_path / "compact.png")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert read.stdout.split() == [TRACK_URL]  # the drawn native QR code scans


def test_bad_input_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def error(*args: str) -> str:
        return one_line_error(capsys, "escpos-png", *args)

    assert "No such file" in error(str(tmp_path / "missing.escpos"), str(tmp_path / "x.png"))
    junk = tmp_path / "junk.escpos"
    junk.write_bytes(bytes(range(128, 256)) * 4)
    assert "not an ESC/POS job" in error(str(junk), str(tmp_path / "x.png"))
    empty = tmp_path / "empty.escpos"
    empty.write_bytes(b"\x1b@\x1dV\x01")
    assert "nothing printable" in error(str(empty), str(tmp_path / "x.png"))
    job = tmp_path / "ok.escpos"
    job.write_bytes(render_escpos(sample_ticket(), parse_printer_uri("dummy")))
    assert "No such file" in error(str(job), str(tmp_path / "no" / "dir" / "x.png"))
    assert "--width" in error(str(job), str(tmp_path / "x.png"), "--width", "0")
    assert not (tmp_path / "x.png").exists()
