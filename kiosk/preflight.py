"""What the machine must provide before motcua can do its job, checked in one place.

``motcua serve`` and ``motcua init-db`` run these checks at start and print what is missing;
``motcua check`` prints the whole report; ``/healthz`` repeats the public-URL warning. Each
check returns a :class:`Finding` whose message names the problem and the fix, so that a ward's
IT person can act on it without reading code. The checks are local and quick (files, devices,
permissions); only :func:`run` with ``online=True`` also opens the database and the message
queue.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from kiosk.config import Config
from kiosk.settings import REPO_ROOT, Settings

if TYPE_CHECKING:
    from kiosk.catalogue import Catalogue

Level = Literal["ok", "warning", "error"]

# Without these the pages do not load at all (they are served locally, never from a CDN).
FRONTEND_FILES = ("socket.io.min.js", "chart.umd.min.js", "fonts/be-vietnam-pro/font.css")
SYSFS_USB = Path("/sys/bus/usb/devices")


@dataclass(frozen=True)
class Finding:
    """One line of the report. ``error``: the server cannot work; ``warning``: a part of it
    (printing, announcements, the QR link) will not."""

    level: Level
    topic: str
    message: str

    def line(self) -> str:
        return f"{self.level:<8} {self.topic}: {self.message}"


def _ok(topic: str, message: str) -> Finding:
    return Finding("ok", topic, message)


# --- the state folder ---------------------------------------------------------------------------


def state_folder(settings: Settings) -> Finding:
    """The instance folder holds the SQLite file, the secret key, voice clips and caches."""
    folder = settings.instance
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        return Finding("error", "state folder", f"{folder} cannot be created")
    if not os.access(existing, os.W_OK | os.X_OK):
        who = _whoami()
        where = "" if existing == folder else f" (its parent {existing} is not writable)"
        return Finding(
            "error",
            "state folder",
            f"{folder} is not writable by {who}{where}: set MOTCUA_INSTANCE to a folder {who} "
            f"owns (the systemd unit uses /var/lib/motcua)",
        )
    note = "" if existing == folder else " (will be created)"
    return _ok("state folder", f"{folder} is writable{note}")


def _whoami() -> str:
    try:
        import pwd

        return f"user {pwd.getpwuid(os.geteuid()).pw_name}"
    except (ImportError, KeyError):
        return f"uid {os.geteuid()}"


# --- fonts, front-end packages, voice --------------------------------------------------------


def fonts() -> Finding:
    """The TrueType fonts tickets are drawn with (Vietnamese is printed as an image)."""
    from printer.fonts import FontNotFoundError, font_paths

    try:
        regular, _ = font_paths()
    except FontNotFoundError as exc:
        return Finding("warning", "fonts", f"tickets cannot be printed: {exc}")
    return _ok("fonts", f"ticket font {regular}")


def frontend(static: Path | None = None) -> Finding:
    """The browser packages (Socket.IO client, charts, page font) from ``npm run build``."""
    vendor = (static or REPO_ROOT / "kiosk" / "static") / "vendor"
    missing = [name for name in FRONTEND_FILES if not (vendor / name).is_file()]
    if missing:
        return Finding(
            "error",
            "front-end packages",
            f"{', '.join(missing)} missing in {vendor}: the pages cannot work; run "
            f"'npm ci && npm run build' in {REPO_ROOT} (scripts/install does it)",
        )
    return _ok("front-end packages", f"present in {vendor}")


def voice(config: Config, settings: Settings) -> Finding:
    """The announcement clips the configured template needs, in ``<instance>/voice/clips``."""
    from display.announce import SOUND_CLIPS, required_clips
    from display.audio import template, voice_dirs
    from display.voice import clip_path

    clips, _ = voice_dirs(settings.instance)
    needed = [*required_clips(template(config)), *SOUND_CLIPS]
    missing = [name for name in needed if not clip_path(clips, name).is_file()]
    if not missing:
        return _ok("voice", f"{len(needed)} announcement clips in {clips}")
    fix = "run 'motcua init-db', which makes them with espeak-ng"
    if shutil.which("espeak-ng") is None:
        fix = "install the Debian package espeak-ng, then run 'motcua init-db'"
    return Finding(
        "warning",
        "voice",
        f"{len(missing)} of {len(needed)} announcement clips missing in {clips} "
        f"(e.g. {missing[0]}): calls will be shown but not read aloud; {fix}",
    )


# --- the public URL -----------------------------------------------------------------------------


def public_url(settings: Settings) -> Finding:
    """``MOTCUA_PUBLIC_URL`` is the base of the link in each ticket's QR code: it must be an
    address the citizens' phones can open, not this machine's loopback."""
    url = settings.public_url
    topic = "public URL"
    if not url:
        return Finding(
            "warning",
            topic,
            "MOTCUA_PUBLIC_URL is not set: the QR code on tickets then carries the address "
            "the kiosk used, which phones often cannot open; set it to the address phones "
            "reach, e.g. https://motcua.example.gov.vn",
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return Finding("error", topic, f"MOTCUA_PUBLIC_URL={url!r} is not a valid URL")
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        return Finding(
            "error",
            topic,
            f"MOTCUA_PUBLIC_URL={url!r} must be http:// or https:// with a host and no query, "
            "e.g. https://motcua.example.gov.vn",
        )
    if is_loopback(host):
        return Finding(
            "warning",
            topic,
            f"MOTCUA_PUBLIC_URL={url} points at this machine itself: phones cannot open the "
            "QR code's link; use the address or name the office network gives the server",
        )
    return _ok(topic, url)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` names and loopback or unspecified addresses (127.x, ::1, 0.0.0.0)."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


# --- printers -----------------------------------------------------------------------------------


def printer_device(uri: str, label: str, instance: Path | None = None) -> Finding | None:
    """Whether this process may open the device behind a printer URI; None for printers that
    have no local device (network, agent, dummy, CUPS)."""
    from kiosk.printing import spec_for

    topic = f"printer {label}"
    try:
        spec = spec_for(uri, instance or Path.cwd())
    except ValueError as exc:
        return Finding("error", topic, str(exc))
    params = spec.params
    if spec.transport == "usb":
        return _usb(topic, int(params["vendor_id"]), int(params["product_id"]))
    if spec.transport in ("serial", "file"):
        path = Path(str(params["device" if spec.transport == "serial" else "path"]))
        return _device_file(topic, path, "dialout" if spec.transport == "serial" else "lp")
    if spec.transport == "spool":
        folder = Path(str(params["dir"]))
        existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        if not os.access(existing, os.W_OK | os.X_OK):
            return Finding("warning", topic, f"spool folder {folder} is not writable")
        return _ok(topic, f"jobs are written to {folder}")
    return None


def _device_file(topic: str, path: Path, group: str) -> Finding:
    if not path.exists():
        return Finding("warning", topic, f"{path} does not exist: is the printer plugged in?")
    if not os.access(path, os.R_OK | os.W_OK):
        return Finding(
            "warning",
            topic,
            f"{path} is not readable and writable by {_whoami()}: add it to the group that "
            f"owns the device (usually '{group}')",
        )
    return _ok(topic, f"{path} is usable")


def _usb(topic: str, vendor: int, product: int) -> Finding:
    ids = f"{vendor:04x}:{product:04x}"
    node = _usb_node(vendor, product)
    if node is None:
        return Finding(
            "warning", topic, f"no USB device {ids} connected: plug the printer in (lsusb)"
        )
    if not os.access(node, os.R_OK | os.W_OK):
        return Finding(
            "warning",
            topic,
            f"USB printer {ids} is at {node}, which {_whoami()} may not open: install the udev "
            f'rule from docs/deploy.md (SUBSYSTEM=="usb", ATTRS{{idVendor}}=="{vendor:04x}", '
            f'ATTRS{{idProduct}}=="{product:04x}", GROUP="lp", MODE="0660") and add the user '
            "to the group lp",
        )
    return _ok(topic, f"USB printer {ids} at {node}")


def _usb_node(vendor: int, product: int) -> Path | None:
    """The /dev/bus/usb node of the first connected device with these ids, from sysfs."""
    try:
        devices = sorted(SYSFS_USB.iterdir())
    except OSError:
        return None
    for device in devices:
        try:
            v = int((device / "idVendor").read_text(), 16)
            p = int((device / "idProduct").read_text(), 16)
            if (v, p) != (vendor, product):
                continue
            bus = int((device / "busnum").read_text())
            num = int((device / "devnum").read_text())
        except (OSError, ValueError):
            continue
        return Path(f"/dev/bus/usb/{bus:03d}/{num:03d}")
    return None


def server_printers(config: Config, settings: Settings) -> list[Finding]:
    """The printers this server drives itself (agent printers are checked by their agent)."""
    uris = {"MOTCUA_PRINTER": settings.printer} if settings.printer else {}
    if not settings.printer:
        uris = {k.name: k.printer for s in config.sites for k in s.kiosks if k.printer != "none"}
    found = (printer_device(uri, name, settings.instance) for name, uri in sorted(uris.items()))
    return [f for f in found if f is not None]


# --- which configuration: the live one in the database, or the files --------------------------


def live_documents(settings: Settings) -> tuple[dict[str, str], int] | None:
    """The live configuration's documents and version once ``init-db`` stored them; None when
    the database holds none yet or cannot be read (then the files are what a server uses)."""
    from kiosk.db import Database
    from kiosk.domain import configuration

    try:
        db = Database(settings.database_url)
        try:
            with db.read() as s:
                version = configuration.live_version(s)
                docs = configuration.read_documents(s) if version is not None else {}
        finally:
            db.dispose()
    except Exception:  # no database, no tables yet, a malformed URL: the database check says
        return None
    return (docs, version) if docs and version is not None else None


def live_configuration(settings: Settings) -> tuple[Config, Finding]:
    """The configuration a server would run with, and a finding saying which one it is: the
    live configuration in the database, else the files of ``MOTCUA_CONFIG`` (a live version
    that no longer builds is an error; the files are checked instead). Raises ConfigError when
    the files are used and do not load."""
    from kiosk.config import ConfigError, config_from_documents, load_config

    live = live_documents(settings)
    files = f"the files in {settings.config_dir}"
    if live is None:
        note = f"{files} (the database holds no configuration yet)"
        return load_config(settings.config_dir), _ok("configuration", note)
    docs, version = live
    try:
        config = config_from_documents(docs, settings.config_dir)
    except ConfigError as exc:
        problem = f"the live version {version} in the database does not build ({exc}); {files}"
        return load_config(settings.config_dir), Finding("error", "configuration", problem)
    return config, _ok(
        "configuration", f"the live configuration in the database, version {version}"
    )


def live_catalogue(settings: Settings) -> tuple[Catalogue | None, str]:
    """The procedure catalogue a server would use and where it comes from (see
    :func:`live_configuration`). Raises CatalogueError naming the bad file."""
    from kiosk.catalogue import load_procedures
    from kiosk.catalogue.loader import catalogue_from_text
    from kiosk.config import PROCEDURES_FILE

    live = live_documents(settings)
    if live is None:
        where = f"{settings.config_dir / PROCEDURES_FILE} (the database holds no configuration yet)"
        return load_procedures(settings.config_dir), where
    docs, version = live
    text = docs.get(PROCEDURES_FILE)
    where = f"the live configuration in the database, version {version}"
    if text is None:
        return None, where
    return catalogue_from_text(text, settings.config_dir / PROCEDURES_FILE), where


# --- services the server talks to -------------------------------------------------------------


def database(config: Config, settings: Settings) -> Finding:
    from kiosk.db import Database
    from kiosk.domain.clock import SystemClock
    from kiosk.services import SchemaError, Services

    url = _safe_url(settings.database_url)
    try:
        db = Database(settings.database_url)
    except Exception as exc:  # a malformed URL or a missing driver
        return Finding("error", "database", f"{url}: {exc}")
    try:
        Services(settings, config, db, SystemClock(settings.timezone)).require_schema()
    except SchemaError as exc:
        return Finding("error", "database", f"{url}: {exc}")
    finally:
        db.dispose()
    return _ok("database", f"{url}, schema up to date")


def message_queue(settings: Settings) -> Finding:
    if not settings.message_queue:
        return _ok("message queue", "none (one server process)")
    url = _safe_url(settings.message_queue)
    try:
        import redis

        redis.Redis.from_url(
            settings.message_queue, socket_timeout=2, socket_connect_timeout=2
        ).ping()
    except Exception as exc:  # any failure is the finding
        return Finding("error", "message queue", f"{url} does not answer: {exc}")
    return _ok("message queue", url)


def _safe_url(url: str) -> str:
    """A URL with its password masked, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not an SQLAlchemy URL (e.g. redis://): mask by hand
        parts = urlsplit(url)
        if parts.password:
            return url.replace(f":{parts.password}@", ":***@", 1)
        return url


# --- the whole report ---------------------------------------------------------------------------


def run(config: Config, settings: Settings, *, online: bool = False) -> list[Finding]:
    """Every check, in the order a person would fix them. ``online`` adds the database and the
    message queue (which need the network)."""
    findings = [state_folder(settings), frontend(), fonts(), voice(config, settings)]
    findings += server_printers(config, settings)
    findings.append(public_url(settings))
    if online:
        findings += [database(config, settings), message_queue(settings)]
    return findings


def problems(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.level != "ok"]


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level == "error" for f in findings)
