"""Devices and their credentials.

A device (kiosk, display, rating tablet, printer) gets a bearer token, printed once by
``motcua device add``. A browser becomes the device by opening a single-use enrollment link
(:func:`issue_link`, valid 24 h) or, for a signed-in admin, in one click
(:func:`enroll_browser`): it then holds a browser token of its own in a cookie, never the link
and never the device's bearer token. :func:`revoke_device` takes every credential of a device
away at once. Secrets are stored as SHA-256 only; every change is audit-logged.

The functions take ``(session, config, now, ...)`` and never commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.domain.accounts import DeviceInfo, hash_token
from kiosk.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from kiosk.domain.events import CredentialsRevoked
from kiosk.domain.tickets import Actor, audit
from kiosk.models import ApiToken, Device, EnrollmentLink

LINK_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class Enrollment:
    """A browser enrolled as ``device``: ``token`` goes into its cookie (shown nowhere else)."""

    device: DeviceInfo
    token: str


@dataclass(frozen=True)
class LinkIssued:
    device: DeviceInfo
    secret: str  # shown once, in the link; only its hash is stored
    expires_at: datetime | None  # None: a demo link, reusable and without expiry


@dataclass(frozen=True)
class Revoked:
    device: DeviceInfo
    browsers: int  # enrolled browsers that stopped working
    token: bool  # whether the device's own bearer token was still live
    links: int  # enrollment links not used yet


class EnrollmentRefused(Forbidden):
    """An enrollment link that is unknown, used, expired or revoked. ``reason`` says which;
    ``device_id`` is set when the link was real (the browser may already be that device)."""

    code = "enrollment_refused"

    def __init__(self, reason: str, device_id: int | None = None) -> None:
        vi, en = _REFUSED[reason]
        super().__init__(vi, en, reason=reason)
        self.reason = reason
        self.device_id = device_id


_REFUSED = {
    "unknown": ("Liên kết đăng ký không đúng.", "This enrollment link is not valid."),
    "used": ("Liên kết đăng ký này đã được dùng.", "This enrollment link was already used."),
    "expired": ("Liên kết đăng ký này đã hết hạn.", "This enrollment link has expired."),
    "revoked": ("Liên kết đăng ký này đã bị thu hồi.", "This enrollment link was revoked."),
    "disabled": ("Thiết bị này đã bị khóa.", "This device is disabled."),
}


def device_info(device: Device) -> DeviceInfo:
    return DeviceInfo(
        device.id, device.name, device.kind, device.site, device.display_id, device.counter
    )


def find_device(s: Session, name: str) -> Device:
    device = s.scalar(select(Device).where(Device.name == name))
    if device is None:
        raise NotFound(f"Không có thiết bị {name!r}.", en=f"no device {name!r}", what="device")
    return device


def issue_link(
    s: Session, cfg: Config, now: datetime, name: str, actor: Actor | None = None
) -> LinkIssued:
    """A single-use enrollment link for device ``name``, valid for 24 hours. Opening it turns
    one browser into the device; the link is not the device's bearer token."""
    device = _browser_device(s, name)
    secret = "e_" + secrets.token_urlsafe(32)
    expires = now + LINK_TTL
    s.add(
        EnrollmentLink(
            device_id=device.id,
            secret_hash=hash_token(secret),
            single_use=True,
            created_at=now,
            expires_at=expires,
            revoked=False,
        )
    )
    audit(s, "device_link_issued", now, actor or Actor(), site=device.site, device=device.name)
    return LinkIssued(device_info(device), secret, expires)


def keep_demo_link(s: Session, cfg: Config, now: datetime, name: str, secret: str) -> LinkIssued:
    """Make sure ``secret`` is a reusable link of device ``name`` without expiry: the demo
    derives its secrets from the instance's key, so the links it printed before stay valid.
    Never for a real installation (anyone holding the link can enroll any number of browsers)."""
    device = _browser_device(s, name)
    row = s.scalar(select(EnrollmentLink).where(EnrollmentLink.secret_hash == hash_token(secret)))
    if row is None:
        s.add(
            EnrollmentLink(
                device_id=device.id,
                secret_hash=hash_token(secret),
                single_use=False,
                created_at=now,
                expires_at=None,
                revoked=False,
            )
        )
    elif row.device_id != device.id:
        raise Conflict(f"the demo link of {name!r} belongs to another device")
    else:
        row.revoked, row.single_use, row.expires_at = False, False, None
    return LinkIssued(device_info(device), secret, None)


def _browser_device(s: Session, name: str) -> Device:
    device = find_device(s, name)
    if device.kind == "printer":
        raise InvalidInput(
            "Máy in không dùng trình duyệt: hãy dùng mã của nó (motcua device add).",
            en=f"{name!r} is a printer: it has no browser to enroll; use its token",
            field="name",
        )
    if device.disabled:
        raise Conflict(f"Thiết bị {name!r} đã bị khóa.", en=f"device {name!r} is disabled")
    return device


def enroll_with_link(s: Session, now: datetime, secret: str, address: str | None) -> Enrollment:
    """Consume an enrollment link: a new browser token for its device. A single-use link is
    taken by one conditional UPDATE, so two browsers racing for it cannot both win. Raises
    :class:`EnrollmentRefused`."""
    row = s.scalar(select(EnrollmentLink).where(EnrollmentLink.secret_hash == hash_token(secret)))
    if row is None:
        raise EnrollmentRefused("unknown")
    if row.revoked:
        raise EnrollmentRefused("revoked", row.device_id)
    if row.expires_at is not None and row.expires_at <= now:
        raise EnrollmentRefused("expired", row.device_id)
    if row.single_use:
        taken = s.execute(
            update(EnrollmentLink)
            .where(EnrollmentLink.id == row.id, EnrollmentLink.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise EnrollmentRefused("used", row.device_id)
    device = s.get(Device, row.device_id)
    assert device is not None
    if device.disabled:
        raise EnrollmentRefused("disabled", device.id)
    return _enroll(s, device, now, address, via="link")


def enroll_browser(
    s: Session, cfg: Config, now: datetime, name: str, actor: Actor, via: str = "admin"
) -> Enrollment:
    """Turn the asking browser into device ``name`` at once. Admins only (``via="admin"``: one
    click on a page), or the holder of the device's own bearer token (``via="token"``)."""
    if via == "admin" and actor.role != "admin":
        raise Forbidden(
            "Chỉ quản trị viên mới đăng ký được thiết bị.", en="Only an admin can enroll a device."
        )
    if via == "token" and actor.device_id is None:
        raise Forbidden("Mã này không phải mã thiết bị.", en="This is not a device token.")
    device = _browser_device(s, name)
    if via == "token" and device.id != actor.device_id:
        raise Forbidden("Mã này thuộc thiết bị khác.", en="This token belongs to another device.")
    return _enroll(s, device, now, actor.address, via=via, actor=actor)


def _enroll(
    s: Session,
    device: Device,
    now: datetime,
    address: str | None,
    *,
    via: str,
    actor: Actor | None = None,
) -> Enrollment:
    token = "b_" + secrets.token_urlsafe(32)
    s.add(
        ApiToken(
            token_hash=hash_token(token),
            device_id=device.id,
            created_at=now,
            revoked=False,
            kind="browser",
        )
    )
    who = actor or Actor(device_id=device.id, role=device.kind, site=device.site)
    audit(
        s,
        "device_enrolled",
        now,
        Actor(who.user_id, device.id, who.role, device.site, address),
        site=device.site,
        counter=device.counter,
        device=device.name,
        kind=device.kind,
        via=via,
    )
    return Enrollment(device_info(device), token)


def revoke_device(
    s: Session, cfg: Config, now: datetime, name: str, actor: Actor | None = None
) -> tuple[Revoked, list[CredentialsRevoked]]:
    """Take every credential of device ``name`` away at once: its bearer token, every browser
    enrolled with it and its unused enrollment links. The returned event has cached resolutions
    dropped in every process once committed and the device's open connections closed. The
    device itself stays: ``issue_link`` enrolls a replacement."""
    device = find_device(s, name)
    live = ApiToken.device_id == device.id, ApiToken.revoked.is_(False)
    kinds = list(s.scalars(select(ApiToken.kind).where(*live)))
    s.execute(update(ApiToken).where(*live).values(revoked=True))
    links = s.execute(
        update(EnrollmentLink)
        .where(
            EnrollmentLink.device_id == device.id,
            EnrollmentLink.revoked.is_(False),
            EnrollmentLink.used_at.is_(None),
        )
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    audit(
        s,
        "device_revoked",
        now,
        actor or Actor(),
        site=device.site,
        device=device.name,
        browsers=kinds.count("browser"),
        links=links,
    )
    done = Revoked(device_info(device), kinds.count("browser"), None in kinds, links)
    return done, [CredentialsRevoked(device_id=device.id)]
