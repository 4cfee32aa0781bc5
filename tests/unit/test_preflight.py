"""The environment checks say what is missing and how to fix it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kiosk import preflight
from kiosk.config import Config
from kiosk.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        instance=str(tmp_path / "instance"),
        database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        secret_key="k",
        public_url="https://motcua.example.vn",
        printer=None,
        message_queue=None,
    )


def test_state_folder_writable_or_not(settings: Settings, tmp_path: Path) -> None:
    found = preflight.state_folder(settings)
    assert found.level == "ok" and "will be created" in found.message
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    bad = preflight.state_folder(dataclasses.replace(settings, instance=blocker / "instance"))
    assert bad.level == "error" and str(blocker / "instance") in bad.message


@pytest.mark.parametrize(
    ("url", "level", "words"),
    [
        (None, "warning", "MOTCUA_PUBLIC_URL is not set"),
        ("http://localhost:8000", "warning", "points at this machine"),
        ("http://127.0.0.1", "warning", "points at this machine"),
        ("http://[::1]:8000", "warning", "points at this machine"),
        ("http://0.0.0.0:8000", "warning", "points at this machine"),
        ("http://app.localhost", "warning", "points at this machine"),
        ("ftp://motcua.example.vn", "error", "must be http:// or https://"),
        ("https://motcua.example.vn?x=1", "error", "no query"),
        ("http://motcua.example.vn:99999", "error", "not a valid URL"),
        ("https://motcua.example.vn", "ok", "https://motcua.example.vn"),
        ("http://10.0.0.2:8000", "ok", "10.0.0.2"),
    ],
)
def test_public_url(settings: Settings, url: str | None, level: str, words: str) -> None:
    found = preflight.public_url(dataclasses.replace(settings, public_url=url))
    assert found.level == level and words in found.message


def test_frontend_packages_missing(tmp_path: Path) -> None:
    found = preflight.frontend(tmp_path)
    assert found.level == "error" and "npm ci && npm run build" in found.message
    assert preflight.frontend().level == "ok"  # scripts/install built them for the tests


def test_fonts_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from printer import fonts

    fonts.font_paths.cache_clear()
    monkeypatch.setattr(fonts, "FAMILIES", (("NoSuchFont.ttf", "NoSuchFont-Bold.ttf"),))
    try:
        found = preflight.fonts()
    finally:
        monkeypatch.undo()
        fonts.font_paths.cache_clear()
    assert found.level == "warning" and "fonts-dejavu-core" in found.message
    assert preflight.fonts().level == "ok"


def test_voice_clips_missing_then_present(
    cast: Config, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = preflight.voice(cast, settings)
    assert found.level == "warning" and "motcua init-db" in found.message
    monkeypatch.setenv("PATH", "/nonexistent")
    assert "install the Debian package espeak-ng" in preflight.voice(cast, settings).message


def test_printer_devices(settings: Settings, tmp_path: Path) -> None:
    assert preflight.printer_device("network:10.0.0.7", "k") is None
    missing = preflight.printer_device(f"serial:{tmp_path}/ttyUSB9", "k")
    assert missing is not None and missing.level == "warning" and "plugged in" in missing.message
    usable = preflight.printer_device("file:/dev/null", "k")
    assert usable is not None and usable.level == "ok"
    bad = preflight.printer_device("usb:zz:1", "k")
    assert bad is not None and bad.level == "error"


def test_usb_printer_found_in_sysfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    device = tmp_path / "1-1"
    device.mkdir()
    for name, value in {
        "idVendor": "0416",
        "idProduct": "5011",
        "busnum": "1",
        "devnum": "7",
    }.items():
        (device / name).write_text(value + "\n")
    monkeypatch.setattr(preflight, "SYSFS_USB", tmp_path)
    # The node /dev/bus/usb/001/007 does not exist here: this process cannot open it.
    found = preflight.printer_device("usb:0x0416:0x5011", "kiosk-1")
    assert found is not None and found.level == "warning"
    assert "/dev/bus/usb/001/007" in found.message and "udev" in found.message
    absent = preflight.printer_device("usb:0x04b8:0x0202", "kiosk-1")
    assert absent is not None and "no USB device 04b8:0202" in absent.message


def test_report_orders_and_counts(cast: Config, settings: Settings) -> None:
    findings = preflight.run(cast, settings)
    topics = [f.topic for f in findings]
    assert topics[:4] == ["state folder", "front-end packages", "fonts", "voice"]
    assert topics[-1] == "public URL"
    assert preflight.has_errors(findings) is False
    assert all(f.level != "ok" for f in preflight.problems(findings))
