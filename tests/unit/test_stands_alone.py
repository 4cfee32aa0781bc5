"""The repository stands alone: no file points at notes kept outside it or at issue numbers of
a tracker a reader may not have. What the code relies on is described in docs/."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Spelt in pieces so that this file does not match itself.
FORBIDDEN = re.compile(
    "|".join(
        [
            r"\.\./" + "shared",
            "CONT" + "RACT",
            "TECH" + "-NOTES",
            "ONE" + "-STOP",
            r"[Ii]ssue" + r" #[0-9]+",
        ]
    )
)
SKIP_DIRS = {".git", ".venv", "node_modules", "instance", "__pycache__", "vendor"}


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=30
        ).stdout
        return [REPO / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file
        return [
            p
            for p in REPO.rglob("*")
            if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(REPO).parts)
        ]


def test_no_reference_to_outside_notes_or_issue_numbers() -> None:
    found = []
    for path in _tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # images and other binary files
        for number, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
    assert not found, "\n".join(found)
