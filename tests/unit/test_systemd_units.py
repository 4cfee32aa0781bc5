"""The systemd units: valid for systemd itself (``systemd-analyze verify``), hardened, and the
browser units carry the Chromium flags that headless tests cannot catch missing."""

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


# --- every unit, as systemd reads it ---------------------------------------------------------

ALL_UNITS = sorted(p.name for p in UNITS.iterdir() if p.suffix in (".service", ".timer"))
REPO = UNITS.parent
INSTALL_ROOT = "/opt/motcua"
# Programs the units start that come from Debian packages the deployment guide installs.
DEBIAN_PROGRAMS = {
    "/usr/bin/cage": "cage",
    "/usr/bin/chromium": "chromium",
    "/usr/bin/certutil": "libnss3-tools",
}
# Drop-ins the guide installs, and for which units.
DROP_INS = {
    "motcua-office-ca.conf": ["motcua-kiosk-browser.service", "motcua-display-browser.service"]
}
SERVER_SIDE = ["motcua.service", "motcua-backup.service", "motcua-print-agent.service"]


def _systemd_analyze() -> str:
    import os
    import shutil

    found = shutil.which("systemd-analyze")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is required in CI (Debian package systemd)")
        pytest.skip("systemd-analyze not installed (Debian package systemd)")
    return found


def _programs(unit: str) -> set[str]:
    """The programs a unit executes (the first word of each Exec* line, prefixes removed)."""
    out = set()
    for key, values in read_unit(unit).get("Service", {}).items():
        if key.startswith("Exec"):
            for value in values:
                out.add(shlex.split(value)[0].lstrip("-@+!:"))
    return out


def _installed_path(program: str) -> Path:
    """The file of this checkout that the guide installs at ``program`` (under /opt/motcua)."""
    rel = Path(program).relative_to(INSTALL_ROOT)
    if rel == Path(".venv/bin/motcua"):
        import tomllib

        scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
        assert scripts["motcua"] == "kiosk.cli:main"
        return REPO / "kiosk" / "cli.py"
    return REPO / rel


@pytest.fixture(scope="module")
def unit_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file-system root holding Debian's own units, ours, and the programs ours start: the
    motcua ones where the guide installs them, the Debian ones as the packages install them."""
    import os
    import shutil

    root = tmp_path_factory.mktemp("root")
    system = Path("/usr/lib/systemd/system")
    shutil.copytree(system, root / "usr/lib/systemd/system", symlinks=True)
    ours = root / "etc/systemd/system"
    ours.mkdir(parents=True)
    for name in ALL_UNITS:
        shutil.copy(UNITS / name, ours / name)
    for drop_in, units in DROP_INS.items():
        for unit in units:
            (ours / f"{unit}.d").mkdir()
            shutil.copy(UNITS / drop_in, ours / f"{unit}.d" / drop_in)
    for unit in [*ALL_UNITS, *DROP_INS]:
        for program in _programs(unit):
            if program.startswith(INSTALL_ROOT + "/"):
                source = _installed_path(program)
                assert source.is_file(), f"{unit}: {program} has no {source} in the checkout"
                if source.parent == UNITS:
                    assert os.access(source, os.X_OK), f"{source} is not executable"
            else:
                assert program in DEBIAN_PROGRAMS or Path(program).is_file(), (
                    f"{unit}: {program} is neither installed here nor a known Debian program"
                )
            stub = root / program.lstrip("/")
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text("#!/bin/sh\n")
            stub.chmod(0o755)
    return root


@pytest.mark.parametrize("unit", ALL_UNITS)
def test_systemd_analyze_verify_accepts_the_unit(unit: str, unit_root: Path) -> None:
    import subprocess

    done = subprocess.run(
        [_systemd_analyze(), "verify", f"--root={unit_root}", unit],
        cwd=unit_root / "etc/systemd/system",
        capture_output=True,
        text=True,
        check=False,
    )
    # verify also warns (unknown keys, bad values) without failing: both must be silent.
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@pytest.mark.parametrize("unit", SERVER_SIDE)
def test_server_side_units_are_hardened(unit: str, unit_root: Path) -> None:
    import subprocess

    service = read_unit(unit)["Service"]
    assert service.get("User") == ["motcua"] or service.get("DynamicUser") == ["yes"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service.get(key) == [value], f"{unit}: {key}={value} expected"
    if unit != "motcua-print-agent.service":
        assert service["StateDirectory"] == ["motcua"]
        assert "MOTCUA_INSTANCE=/var/lib/motcua" in service["Environment"]
        assert service["PrivateDevices"] == ["yes"]
    done = subprocess.run(
        [_systemd_analyze(), "security", "--offline=true", f"--root={unit_root}", unit],
        cwd=unit_root / "etc/systemd/system",
        capture_output=True,
        text=True,
        check=False,
    )
    last = done.stdout.strip().splitlines()[-1]
    score = float(last.split("level for ")[1].split(": ")[1].split()[0])
    assert score <= 2.0, last


def test_secrets_never_on_a_command_line() -> None:
    for unit in ALL_UNITS:
        for key, values in read_unit(unit).get("Service", {}).items():
            if key.startswith("Exec"):
                for value in values:
                    assert "TOKEN" not in value and "secret" not in value.lower(), (unit, value)
    agent = read_unit("motcua-print-agent.service")["Service"]
    assert agent["LoadCredential"] == ["agent_token:/etc/motcua/agent_token"]
    assert "MOTCUA_AGENT_TOKEN_FILE=%d/agent_token" in agent["Environment"]
    assert "lp" in agent["SupplementaryGroups"][0].split()


def test_backups_run_twice_a_day_with_retention() -> None:
    timer = read_unit("motcua-backup.timer")
    assert len(timer["Timer"]["OnCalendar"]) == 2
    assert timer["Timer"]["Persistent"] == ["yes"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    (command,) = read_unit("motcua-backup.service")["Service"]["ExecStart"]
    args = shlex.split(command)
    assert args[1:3] == ["backup", "/var/lib/motcua/backups"]
    assert "--keep-days" in args or "--keep" in args


@pytest.mark.parametrize("unit", ["motcua-display-browser.service", "motcua-kiosk-browser.service"])
def test_browsers_own_the_console_and_keep_nothing_on_disk(unit: str) -> None:
    unit_file = read_unit(unit)
    assert "getty@tty1.service" in unit_file["Unit"]["Conflicts"]
    service = unit_file["Service"]
    runtime = service["RuntimeDirectory"][0]
    assert f"HOME=%t/{runtime}" in service["Environment"]
    assert service["ProtectHome"] == ["yes"] and service["NoNewPrivileges"] == ["yes"]


def test_office_ca_drop_in_trusts_the_ca_in_the_browsers_own_home() -> None:
    lines = read_unit("motcua-office-ca.conf")["Service"]["ExecStartPre"]
    assert all("${HOME}/.local/share/pki/nssdb" in line for line in lines)
    assert lines[-1].endswith("-i /etc/motcua/office-ca.crt")
    for unit in DROP_INS["motcua-office-ca.conf"]:
        # HOME is the unit's tmpfs runtime directory: the database is made anew at each start.
        runtime = read_unit(unit)["Service"]["RuntimeDirectory"][0]
        assert f"HOME=%t/{runtime}" in read_unit(unit)["Service"]["Environment"]


def test_server_may_open_a_file_per_connection() -> None:
    from kiosk.server import FILES_HEADROOM
    from kiosk.settings import Settings

    (limit,) = read_unit("motcua.service")["Service"]["LimitNOFILE"]
    assert int(limit) >= Settings.from_env().max_connections + FILES_HEADROOM
