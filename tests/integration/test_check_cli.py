"""``motcua check`` prints the environment report; ``serve`` and ``init-db`` warn at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import serverproc

servers = serverproc.fixture()


def test_check_reports_a_database_to_initialise_then_a_ready_one(tmp_path: Path) -> None:
    srv = serverproc.Server(tmp_path / "i", env={"MOTCUA_PUBLIC_URL": "http://127.0.0.1:8000"})
    with pytest.raises(serverproc.ServerError) as failed:
        srv.cli("check")
    assert "run 'motcua init-db' first" in str(failed.value)

    srv.init_db()
    out = srv.cli("check").splitlines()
    by_topic = {line.split(":", 1)[0].split(None, 1)[1]: line.split()[0] for line in out[:-1]}
    assert by_topic["state folder"] == "ok"
    assert by_topic["database"] == "ok"
    assert by_topic["voice"] == "ok"  # init-db made the clips
    assert by_topic["public URL"] == "warning"
    assert out[-1].endswith("0 errors, 1 warnings")


@pytest.mark.slow
def test_serve_warns_at_start_and_refuses_an_unusable_state_folder(
    servers: serverproc.Servers, tmp_path: Path
) -> None:
    srv = servers.start(tmp_path / "a")  # no MOTCUA_PUBLIC_URL
    warnings = [line for line in srv.log_tail().splitlines() if "environment_warning" in line]
    assert len(warnings) == 1, srv.log_tail()  # logged once by the server, not per worker
    assert "level=warning" in warnings[0]
    assert 'problem="public URL: MOTCUA_PUBLIC_URL is not set' in warnings[0]

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    bad = serverproc.Server(tmp_path / "b", env={"MOTCUA_INSTANCE": str(blocker / "state")})
    with pytest.raises(serverproc.ServerError) as failed:
        bad.cli("serve", "--port", "1")
    lines = str(failed.value).split(": ", 1)[1].splitlines()
    assert len(lines) == 1 and "state folder" in lines[0]

    # A serve that fails its own checks afterwards still says one line, warnings or not.
    other = serverproc.Server(tmp_path / "c")
    other.init_db()
    with pytest.raises(serverproc.ServerError) as failed:
        other.cli("serve", "--port", "1", "--workers", "2")
    lines = str(failed.value).split(": ", 1)[1].splitlines()
    assert len(lines) == 1 and "MOTCUA_MESSAGE_QUEUE" in lines[0]
