"""Demo accounts and devices for the quick start, and the map of the system it prints.

Idempotent, and it never takes back what it printed before: existing users and devices are
reused, no token is revoked, and each device's enrollment link is derived from the instance's
secret key, so every run prints the same links and browsers enrolled with them keep working.
Demo links are reusable and do not expire (a demo on one laptop opens them in several
browsers); real installations use ``motcua device link`` (single use, 24 hours)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import select

from kiosk.domain import accounts, devices
from kiosk.models import Device, User
from kiosk.services import Services

DEMO_PASSWORD = "motcua-demo"
DEMO_USERS = [
    ("admin", "admin", None),
    ("giamsat", "supervisor", "hall"),
    ("canbo1", "staff", "hall"),
    ("canbo2", "staff", "hall"),
    ("ct1a", "staff", "ct1a"),
]


@dataclass(frozen=True)
class DemoDevice:
    site: str
    label: str  # what it is, in words
    name: str
    url: str  # its enrollment link


def demo_secret(key: str, device: str) -> str:
    """The demo link secret of ``device``: the same on every run with the same instance key."""
    digest = hmac.new(key.encode(), f"motcua demo link {device}".encode(), hashlib.sha256)
    return "e_" + base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def create_demo(core: Services) -> list[str]:
    """Create (or keep) the demo users and one device per kiosk, display and counter; return
    the lines of the map: every page with its address and login, and every device's link."""
    now = core.clock.now()
    with core.db.transaction() as s:
        for name, role, site in DEMO_USERS:
            if s.scalar(select(User.id).where(User.username == name)) is None:
                accounts.add_user(s, core.config, now, name, role, DEMO_PASSWORD, site)
    base = (core.settings.public_url or "http://127.0.0.1:8000").rstrip("/")
    made: list[DemoDevice] = []
    with core.db.transaction() as s:
        for site in core.config.sites:
            wanted = [(k.name, "kiosk", None, None, f"Kiosk {k.name}") for k in site.kiosks]
            wanted += [
                (f"display-{d.id}", "display", d.id, None, f"Display {d.id} ({d.name})")
                for d in site.displays
            ]
            wanted += [
                (
                    f"rate-{site.code}-{c.number}",
                    "counter",
                    None,
                    c.number,
                    f"Rating tablet of counter {c.number}",
                )
                for c in site.counters
            ]
            for name, kind, display, counter, label in wanted:
                if s.scalar(select(Device.id).where(Device.name == name)) is None:
                    accounts.add_device(
                        s, core.config, now, name, kind, site.code, display, counter
                    )
                secret = demo_secret(core.settings.secret_key, name)
                devices.keep_demo_link(s, core.config, now, name, secret)
                made.append(DemoDevice(site.code, label, name, f"{base}/enroll?code={secret}"))
    return demo_map(core, base, made)


def demo_map(core: Services, base: str, made: list[DemoDevice]) -> list[str]:
    def logins(*roles: str) -> str:
        return ", ".join(
            f"{name} ({site})" if site else name for name, role, site in DEMO_USERS if role in roles
        )

    pages = [
        ("Home: every page, one click per device", "/", "anyone (admin: one-click enrollment)"),
        ("Counter console (staff call numbers)", "/counter", logins("staff")),
        ("Supervisor overview", "/counter/overview", logins("supervisor")),
        ("Reports", "/reports", logins("supervisor", "admin")),
        ("Admin", "/admin", logins("admin")),
        ("Online-submission guide (citizens)", "/guide", "no sign-in"),
    ]
    lines = [
        "motcua demo: the map of the system",
        f"Pages (every demo login's password is '{DEMO_PASSWORD}'):",
    ]
    lines += [f"  {what:<42} {base}{path:<20} {who}" for what, path, who in pages]
    lines += [
        "Devices: open a link in a browser and that browser becomes the device (one browser can",
        "be several at once). Enrolled browsers and these links stay valid when the demo restarts.",
    ]
    for site in core.config.sites:
        lines.append(f"  {site.name_en or site.name} [{site.code}]")
        lines += [f"    {d.label:<40} {d.url}" for d in made if d.site == site.code]
    lines.append("A ticket's phone page (/t/...) is in the QR code printed on the ticket.")
    return lines
