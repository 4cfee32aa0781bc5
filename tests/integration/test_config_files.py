"""``motcua init-db`` loads config/ only into a database without configuration; ``motcua
config export`` / ``import`` move the live configuration to and from files, all or nothing,
recorded in the audit log. On SQLite and PostgreSQL."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import serverproc

REPO = serverproc.REPO


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def motcua(request: pytest.FixtureRequest, tmp_path: Path) -> serverproc.Server:
    """The command line on a fresh database, configuration from a copy of the office example."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    config = tmp_path / "config"
    shutil.copytree(REPO / "config" / "examples" / "office", config)
    return serverproc.Server(tmp_path / "instance", config=config, database_url=url)


def _run(srv: serverproc.Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*serverproc.CLI, *args],
        env=srv.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _same_tree(a: Path, b: Path) -> None:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    match, mismatch, errors = filecmp.cmpfiles(a, b, files_a, shallow=False)
    assert not mismatch and not errors


def test_init_db_never_overwrites_and_export_import_round_trip(
    motcua: serverproc.Server, tmp_path: Path
) -> None:
    config = Path(motcua.env["MOTCUA_CONFIG"])
    motcua.init_db()
    first = tmp_path / "first"
    motcua.cli("config", "export", str(first))
    _same_tree(config, first)  # the files as loaded, comments and all

    # A changed configuration, imported: init-db afterwards (files unchanged) keeps it.
    hall = first / "sites" / "hall.yaml"
    text = hall.read_text(encoding="utf-8")
    assert "name: Chứng thực" in text or "Chứng thực" in text
    hall.write_text(text.replace("Chứng thực", "Chứng thực bản sao", 1), encoding="utf-8")
    out = motcua.cli("config", "import", str(first))
    assert "version 2" in out
    assert "kept" in motcua.cli("init-db")
    second = tmp_path / "second"
    motcua.cli("config", "export", str(second))
    _same_tree(first, second)
    assert "Chứng thực bản sao" in (second / "sites" / "hall.yaml").read_text(encoding="utf-8")

    # export -> import -> export gives identical files.
    motcua.cli("config", "import", str(second))
    third = tmp_path / "third"
    motcua.cli("config", "export", str(third))
    _same_tree(second, third)

    # A fresh database initialised from the export reproduces it.
    fresh = serverproc.Server(tmp_path / "fresh", config=third)
    fresh.init_db()
    fourth = tmp_path / "fourth"
    fresh.cli("config", "export", str(fourth))
    _same_tree(third, fourth)


@pytest.mark.parametrize(
    ("path", "old", "new", "named"),
    [
        ("sites/hall.yaml", "prefix: B", "prefix: A", "prefix"),
        ("sites/hall.yaml", "daily_cap: 120", "daily_cap: -120", "daily_cap"),
        ("motcua.yaml", "negative_below: 3", "negative_below: [", "motcua.yaml"),
        ("procedures.yaml", "version:", "versionx:", "procedures.yaml"),
    ],
)
def test_import_of_a_broken_folder_changes_nothing(
    motcua: serverproc.Server, tmp_path: Path, path: str, old: str, new: str, named: str
) -> None:
    motcua.init_db()
    before = tmp_path / "before"
    motcua.cli("config", "export", str(before))
    broken = tmp_path / "broken"
    shutil.copytree(before, broken)
    # Another document changed too: it must not be stored either.
    main = broken / "motcua.yaml"
    if path != "motcua.yaml":
        main.write_text(main.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    target = broken / path
    text = target.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    done = _run(motcua, "config", "import", str(broken))
    assert done.returncode != 0
    line = done.stderr.strip()
    assert line.count("\n") == 0 and path in line and named in line, line
    after = tmp_path / "after"
    motcua.cli("config", "export", str(after))
    _same_tree(before, after)


def test_import_is_in_the_audit_log(motcua: serverproc.Server, tmp_path: Path) -> None:
    motcua.init_db()
    out = tmp_path / "out"
    motcua.cli("config", "export", str(out))
    motcua.cli("config", "import", str(out))
    from kiosk.db import Database
    from kiosk.domain import auditlog
    from kiosk.domain.clock import SystemClock

    db = Database(motcua.database_url)
    try:
        with db.read() as s:
            rows = auditlog.read_log(
                s, SystemClock("Asia/Ho_Chi_Minh"), auditlog.Filters(source="audit")
            )
    finally:
        db.dispose()
    assert rows[0].action == "config_imported"
    assert rows[0].details["target"] == str(out.resolve())
    assert rows[0].details["version"] == 2


def test_export_and_import_refuse_bad_folders(motcua: serverproc.Server, tmp_path: Path) -> None:
    motcua.init_db()
    done = _run(motcua, "config", "import", str(tmp_path / "missing"))
    assert done.returncode != 0 and done.stderr.count("\n") == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _run(motcua, "config", "import", str(empty))
    assert done.returncode != 0 and "motcua.yaml" in done.stderr
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = _run(motcua, "config", "export", str(blocker))
    assert done.returncode != 0 and done.stderr.count("\n") == 1
