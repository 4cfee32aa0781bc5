"""docs/interface.md tells the truth: its generated references match the code, every
environment variable the code reads is listed, and the docs' links lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kiosk.interface_docs import generated_sections, markers

REPO = Path(__file__).resolve().parents[2]
INTERFACE = REPO / "docs" / "interface.md"


@pytest.mark.parametrize("name", ["CLI", "HTTP API"])
def test_generated_references_are_up_to_date(name: str) -> None:
    text = INTERFACE.read_text(encoding="utf-8")
    begin, end = markers(name)
    assert begin in text and end in text, f"docs/interface.md lost the {name} markers"
    written = text[text.index(begin) + len(begin) : text.index(end)].strip()
    expected = generated_sections()[name].strip()
    assert written == expected, f"the {name} reference is out of date: run scripts/interface-docs"


def test_every_command_and_endpoint_is_in_the_reference() -> None:
    import kiosk.api  # noqa: F401
    from kiosk.api import ENDPOINTS

    text = INTERFACE.read_text(encoding="utf-8")
    for e in ENDPOINTS:
        assert f"`{e.method} /api/v1{e.path}" in text, (e.method, e.path)
    for command in ("init-db", "serve", "check", "backup", "restore", "print-agent"):
        assert f"**`motcua {command}" in text


def _variables_in_code() -> set[str]:
    found: set[str] = set()
    for package in ("kiosk", "display", "printer"):
        for path in (REPO / package).rglob("*.py"):
            found |= set(re.findall(r"\bMOTCUA_[A-Z][A-Z_]*[A-Z]\b", path.read_text("utf-8")))
    settings = (REPO / "kiosk" / "settings.py").read_text("utf-8")
    # Settings.from_env reads MOTCUA_<KEY> for each pick("key") / _int(pick, "key", ...).
    keys = re.findall(r'pick\("([a-z_]+)"', settings) + re.findall(r'\(pick, "([a-z_]+)"', settings)
    found |= {f"MOTCUA_{key.upper()}" for key in keys}
    # Placeholders in docstrings, and the _FILE variants (described once for all).
    return {v for v in found if v not in {"MOTCUA_X", "MOTCUA_X_FILE"} and not v.endswith("_FILE")}


def test_every_environment_variable_is_documented() -> None:
    table = INTERFACE.read_text(encoding="utf-8").split("## Environment variables", 1)[1]
    table = table.split("\n## ", 1)[0]
    missing = sorted(v for v in _variables_in_code() if f"`{v}`" not in table)
    assert not missing, f"add to docs/interface.md, 'Environment variables': {missing}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {
        _slug(line.lstrip("#"))
        for line in path.read_text("utf-8").splitlines()
        if line.startswith("#")
    }


def test_links_between_docs_lead_somewhere() -> None:
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        text = page.read_text("utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            file_part, _, anchor = target.partition("#")
            dest = (page.parent / file_part).resolve() if file_part else page
            if not dest.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert not broken, broken
