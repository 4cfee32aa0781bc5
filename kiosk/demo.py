"""Demo accounts and devices for the quick start. Idempotent: existing ones are reused and
their passwords reset to the documented demo values; device tokens are re-issued."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from kiosk.db import mark_auth_changed
from kiosk.domain import accounts
from kiosk.models import ApiToken, Device, User
from kiosk.services import Services

DEMO_PASSWORD = "motcua-demo"
DEMO_USERS = [
    ("admin", "admin", None),
    ("giamsat", "supervisor", "hall"),
    ("canbo1", "staff", "hall"),
    ("canbo2", "staff", "hall"),
    ("ct1a", "staff", "ct1a"),
]


def create_demo(core: Services) -> list[str]:
    """Create (or refresh) the demo users and one device per kiosk, display and counter."""
    lines = [f"Demo logins (password '{DEMO_PASSWORD}'):"]
    now = core.clock.now()
    with core.db.transaction() as s:
        for name, role, site in DEMO_USERS:
            user = s.scalar(select(User).where(User.username == name))
            if user is None:
                accounts.add_user(s, core.config, now, name, role, DEMO_PASSWORD, site)
            lines.append(f"  {name:<8} {role:<10} {site or 'all sites'}")
    base = core.settings.public_url or "http://127.0.0.1:8000"
    lines.append("Device enrollment links (open once in the device's browser):")
    with core.db.transaction() as s:
        for site in core.config.sites:
            wanted = [(k.name, "kiosk", None, None) for k in site.kiosks]
            wanted += [(f"display-{d.id}", "display", d.id, None) for d in site.displays]
            wanted += [
                (f"rate-{site.code}-{c.number}", "counter", None, c.number) for c in site.counters
            ]
            for name, kind, display, counter in wanted:
                token = _device_token(s, core, name, kind, site.code, display, counter)
                lines.append(f"  {kind:<8} {name:<16} {base}/enroll?token={token}")
    return lines


def _device_token(s, core: Services, name, kind, site, display, counter) -> str:  # type: ignore[no-untyped-def]
    device = s.scalar(select(Device).where(Device.name == name))
    if device is None:
        _, token = accounts.add_device(
            s, core.config, core.clock.now(), name, kind, site, display, counter
        )
        return token
    s.execute(update(ApiToken).where(ApiToken.device_id == device.id).values(revoked=True))
    mark_auth_changed(s)
    token = "d_" + secrets.token_urlsafe(32)
    s.add(
        ApiToken(
            token_hash=accounts.hash_token(token),
            device_id=device.id,
            created_at=core.clock.now(),
            revoked=False,
        )
    )
    return token
