"""Every audit action and ticket history kind the code writes has a Vietnamese and English
label in the admin log (an unlabeled code would show raw, e.g. "printed", on a Vietnamese page)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WRITES = (
    re.compile(r"\baudit\(\s*\w+,\s*\"([a-z_]+)\"", re.S),
    re.compile(r"\brecord\(\s*\w+,\s*\w+,\s*\"([a-z_]+)\"", re.S),
    re.compile(r"\bevent_row\(\s*\"([a-z_]+)\"", re.S),
    re.compile(r"\b_set_ticket\([^)]*?\bkind=\"([a-z_]+)\"", re.S),
)


def written_codes() -> set[str]:
    codes: set[str] = set()
    for path in (REPO / "kiosk").rglob("*.py"):
        text = path.read_text()
        for pattern in WRITES:
            codes.update(pattern.findall(text))
    from kiosk.domain.calling import PAST

    return codes | set(PAST.values())


def test_every_written_code_has_a_label() -> None:
    labels = (REPO / "kiosk/templates/admin/_labels.html").read_text()
    labelled = set(re.findall(r'^\s*"([a-z_]+)": \("', labels, re.M))
    codes = written_codes()
    assert {"printed", "device_revoked", "no_show_undone", "issued"} <= codes  # the scan works
    assert codes - labelled == set()
