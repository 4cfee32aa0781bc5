"""The browser units carry the Chromium flags that headless tests cannot catch missing
(TECH-NOTES, "Browsers, audio and kiosks")."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"


def read_unit(name: str) -> dict[str, dict[str, list[str]]]:
    """Sections of a unit file; each key keeps every value it is given (systemd allows repeats)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in (UNITS / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{name}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{name}: not key=value: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def browser_args(name: str) -> list[str]:
    (exec_start,) = read_unit(name)["Service"]["ExecStart"]
    args = shlex.split(exec_start)
    assert args[:3] == ["/usr/bin/cage", "-s", "--"], "one application under the cage compositor"
    assert args[3] == "/usr/bin/chromium", "Debian's Chromium"
    return args[4:]


@pytest.mark.parametrize("unit", ["motcua-display-browser.service", "motcua-kiosk-browser.service"])
def test_browser_units_run_chromium_full_screen_offline(unit: str) -> None:
    args = browser_args(unit)
    for flag in ("--kiosk", "--noerrdialogs", "--disable-background-networking", "--no-first-run"):
        assert flag in args, f"{unit}: {flag} missing"
    assert "--kiosk-printing" not in args  # tickets print through the print agent, not Chromium
    assert args[-1] == "${MOTCUA_URL}", "the device's enrollment link is the start page"
    service = read_unit(unit)["Service"]
    assert service["Restart"] == ["always"]
    assert any(v.startswith("/etc/motcua/") for v in service["EnvironmentFile"])


def test_display_browser_plays_announcements_without_a_click() -> None:
    args = browser_args("motcua-display-browser.service")
    assert "--autoplay-policy=no-user-gesture-required" in args
    assert not any(a.startswith("--mute-audio") for a in args)


def test_display_browser_profile_is_its_own() -> None:
    args = browser_args("motcua-display-browser.service")
    profile = [a for a in args if a.startswith("--user-data-dir=")]
    assert profile == ["--user-data-dir=%t/motcua-display"]  # the unit's RuntimeDirectory
    assert read_unit("motcua-display-browser.service")["Service"]["RuntimeDirectory"] == [
        "motcua-display"
    ]


@pytest.mark.parametrize("unit", ["motcua-display-browser.service", "motcua-kiosk-browser.service"])
def test_browsers_start_only_once_the_server_answers(unit: str) -> None:
    service = read_unit(unit)["Service"]
    assert service["ExecStartPre"] == ["/opt/motcua/systemd/motcua-wait-server ${MOTCUA_URL}"]
    assert service["TimeoutStartSec"] == ["infinity"]


def test_wait_server_waits_for_an_answer_then_returns() -> None:
    import http.server
    import socket
    import subprocess
    import threading
    import time

    script = UNITS / "motcua-wait-server"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/enroll?token=d_x"
    waiter = subprocess.Popen([str(script), url])
    try:
        time.sleep(3)
        assert waiter.poll() is None, "returned while nothing listened"

        class Unavailable(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(503)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.HTTPServer(("127.0.0.1", port), Unavailable)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            assert waiter.wait(10) == 0
        finally:
            server.shutdown()
            server.server_close()
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()
