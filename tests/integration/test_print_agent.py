"""``motcua print-agent`` end to end: a real server, a real agent process with a spool printer.
The agent prints the kiosk's tickets, survives a server restart, and stops cleanly on SIGTERM."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests import serverproc
from tests.conftest import CAST

pytestmark = pytest.mark.slow
servers = serverproc.fixture()


def agent_config(tmp_path: Path) -> Path:
    folder = tmp_path / "cfg"
    shutil.copytree(CAST, folder)
    hall = folder / "sites" / "hall.yaml"
    text = hall.read_text(encoding="utf-8")
    hall.write_text(
        text.replace('printer: "none"', 'printer: "agent:printer-1?profile=POS-5890"'),
        encoding="utf-8",
    )
    return folder


def wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_agent_prints_survives_restart_and_stops_cleanly(servers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = servers.start(tmp_path / "srv", config=agent_config(tmp_path))
    kiosk = srv.device_token("kiosk-1", kind="kiosk")
    agent_token = srv.device_token("printer-1", kind="printer")
    staff = srv.staff_token("anna")
    spool = tmp_path / "spool"
    agent = subprocess.Popen(
        [
            *serverproc.CLI,
            "print-agent",
            "--server",
            srv.url,
            "--token",
            agent_token,
            "--printer",
            f"spool:{spool}",
        ],
        cwd=serverproc.REPO,
        env=srv.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, t = srv.request(
            "POST", "/api/v1/tickets", kiosk, {"site": "hall", "service": "cert"}
        )
        assert status == 201 and t["print"]["status"] == "queued"
        assert wait_for(lambda: spool.exists() and len(list(spool.iterdir())) == 1)
        assert wait_for(
            lambda: (
                srv.request("GET", f"/api/v1/tickets/{t['id']}", staff)[1]["print"]["status"]
                == "printed"
            )
        )
        printed = next(spool.iterdir()).read_bytes()
        status, body = srv.request("GET", f"/api/v1/tickets/{t['id']}/escpos", staff)
        assert status == 200  # the same bytes the agent got (58 mm profile from the config)

        srv.stop()
        srv.start()  # the agent reconnects by itself
        status, t2 = srv.request(
            "POST", "/api/v1/tickets", kiosk, {"site": "hall", "service": "cert"}
        )
        assert status == 201
        assert wait_for(lambda: len(list(spool.iterdir())) == 2, timeout=45)
        assert printed.startswith(b"\x1b@")
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            out, _ = agent.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            agent.kill()
            out, _ = agent.communicate()
    assert agent.returncode == 0, out


def test_agent_rejects_bad_arguments(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*serverproc.CLI, "print-agent", *args],
            capture_output=True,
            text=True,
            cwd=serverproc.REPO,
            timeout=60,
        )

    bad_printer = run("--server", "http://127.0.0.1:9", "--token", "x", "--printer", "laser:1")
    assert bad_printer.returncode != 0
    assert bad_printer.stderr.strip().startswith("motcua: error:")
    bad_server = run("--server", "ftp://x", "--token", "x", "--printer", "dummy")
    assert bad_server.returncode != 0 and "http" in bad_server.stderr
