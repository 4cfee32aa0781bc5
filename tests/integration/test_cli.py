"""The motcua command: exit statuses, one-line errors, tokens on the last line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CAST


def run(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "MOTCUA_INSTANCE": str(tmp_path / "inst"),
        "MOTCUA_CONFIG": str(CAST),
        **env,
    }
    environ.pop("MOTCUA_DATABASE_URL", None) if "MOTCUA_DATABASE_URL" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("motcua: error: ")
    return lines[0]


def test_commands_before_init_db_say_so(tmp_path: Path) -> None:
    err = one_line_error(run(tmp_path, "user", "add", "a", "--role", "staff", stdin="password1\n"))
    assert "motcua init-db" in err


def test_init_db_is_idempotent_and_the_rest_works(tmp_path: Path) -> None:
    first = run(tmp_path, "init-db")
    assert first.returncode == 0, first.stderr
    assert "2 counter rows added" in first.stdout or "3 counter rows added" in first.stdout
    again = run(tmp_path, "init-db")
    assert again.returncode == 0 and "0 counter rows added" in again.stdout

    ok = run(tmp_path, "user", "add", "chi", "--role", "supervisor", stdin="mật-khẩu-dài\n")
    assert ok.returncode == 0, ok.stderr
    assert "already exists" in one_line_error(
        run(tmp_path, "user", "add", "chi", "--role", "staff", stdin="password1\n")
    )
    assert "at least 8" in one_line_error(
        run(tmp_path, "user", "add", "dan", "--role", "staff", stdin="short\n")
    )
    assert "no password" in one_line_error(run(tmp_path, "user", "add", "dan", "--role", "staff"))
    one_line_error(run(tmp_path, "user", "add", "dan", "--role", "boss", stdin="password1\n"))

    tok = run(tmp_path, "token", "issue", "chi")
    assert tok.returncode == 0
    assert tok.stdout.strip().splitlines()[-1].startswith("u_")
    assert "no user" in one_line_error(run(tmp_path, "token", "issue", "nobody"))

    dev = run(
        tmp_path, "device", "add", "tv", "--kind", "display", "--site", "hall", "--display", "1"
    )
    assert dev.returncode == 0 and dev.stdout.strip().splitlines()[-1].startswith("d_")
    assert "--display" in one_line_error(
        run(tmp_path, "device", "add", "tv2", "--kind", "display", "--site", "hall")
    )
    assert "no display 7" in one_line_error(
        run(
            tmp_path,
            "device",
            "add",
            "tv3",
            "--kind",
            "display",
            "--site",
            "hall",
            "--display",
            "7",
        )
    )
    assert "no counter 5" in one_line_error(
        run(
            tmp_path,
            "device",
            "add",
            "tab",
            "--kind",
            "counter",
            "--site",
            "hall",
            "--counter",
            "5",
        )
    )
    assert "unknown site" in one_line_error(
        run(tmp_path, "device", "add", "k", "--kind", "kiosk", "--site", "mars")
    )
    assert "already exists" in one_line_error(
        run(
            tmp_path, "device", "add", "tv", "--kind", "display", "--site", "hall", "--display", "1"
        )
    )

    assert run(tmp_path, "user", "disable", "chi").returncode == 0
    assert "no user" in one_line_error(run(tmp_path, "user", "disable", "ghost"))
    assert "disabled" in one_line_error(run(tmp_path, "token", "issue", "chi"))


def test_bad_config_stops_with_the_file_named(tmp_path: Path) -> None:
    bad = tmp_path / "cfg"
    (bad / "sites").mkdir(parents=True)
    (bad / "motcua.yaml").write_text(
        (CAST / "motcua.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (bad / "sites" / "x.yaml").write_text("code: x\nname: X\n", encoding="utf-8")
    err = one_line_error(run(tmp_path, "init-db", MOTCUA_CONFIG=str(bad)))
    assert "x.yaml" in err and "hours" in err


@pytest.mark.parametrize("args", [[], ["fly"], ["serve", "--port", "abc"], ["user", "add", "x"]])
def test_usage_errors(tmp_path: Path, args: list[str]) -> None:
    result = run(tmp_path, *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("motcua: error:")


def test_bad_timezone(tmp_path: Path) -> None:
    err = one_line_error(run(tmp_path, "init-db", MOTCUA_TIMEZONE="Mars/Olympus"))
    assert "MOTCUA_TIMEZONE" in err
