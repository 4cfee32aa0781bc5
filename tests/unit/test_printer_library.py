"""``printer/`` is a library: it knows nothing of the application (``kiosk/``) and its types
hold under ``mypy --strict``."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "printer"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-local imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 1:
            found.add("." * node.level + (node.module or ""))  # climbs out of printer/
    return found


def test_printer_imports_nothing_from_the_application() -> None:
    files = sorted(LIBRARY.rglob("*.py"))
    assert len(files) > 10
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m
            for m in imported_modules(path)
            if m.split(".")[0] in ("kiosk", "display", "tests") or m.startswith("..")
        )
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_the_whole_library_loads_no_application_module() -> None:
    modules = [
        "printer." + ".".join(p.relative_to(LIBRARY).with_suffix("").parts)
        for p in sorted(LIBRARY.rglob("*.py"))
        if p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('kiosk', 'display'))\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_mypy_strict_passes_on_the_library(tmp_path: Path) -> None:
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    if mypy is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    out = subprocess.run(
        [mypy, "--strict", "--cache-dir", str(tmp_path / "cache"), "printer/"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_escpos_capabilities_survive_a_half_written_pickle(tmp_path: Path) -> None:
    """python-escpos writes its capabilities pickle in place: a process that read it half
    written (another one starting at the same moment) or after a crash must still start."""
    import os

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("ESCPOS_CAPABILITIES_PICKLE_DIR", None)
    run = [sys.executable, "-c", "import printer._escpos"]
    starts = [subprocess.Popen(run, env=env) for _ in range(4)]  # at once, one cache
    assert [p.wait(timeout=60) for p in starts] == [0, 0, 0, 0]
    (cached,) = (tmp_path / "motcua" / "escpos").glob("*.capabilities.pickle")
    cached.write_bytes(cached.read_bytes()[:100])  # cut short, as by a crash mid-write
    assert subprocess.run(run, env=env, timeout=60).returncode == 0
    assert cached.stat().st_size > 100  # rebuilt
