"""Who gets in, and the audit trail of it: sign-in (throttled), sign-out, device enrollment, and
disabling a user. Every outcome writes one audit row (who, what, when, from which address)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.domain import accounts
from kiosk.domain.accounts import DeviceInfo, UserInfo, user_info
from kiosk.domain.errors import Forbidden, InvalidInput
from kiosk.domain.tickets import Actor, audit
from kiosk.models import Device, User


@dataclass(frozen=True)
class SignIn:
    outcome: str  # "ok" | "bad_credentials" | "throttled"
    user: UserInfo | None = None
    row: User | None = None  # the user's row, in the caller's session


def sign_in(
    s: Session, username: str, password: str, address: str, now: datetime, via: str = "form"
) -> SignIn:
    """Check a password unless the username or address is throttled (10 failures within 15
    minutes). A failure is counted towards the throttle; every attempt is audited, with ``via``
    saying where it came from (``form``: the login page, ``token``: the API token endpoint)."""
    username = username.strip()[:64]
    anonymous = Actor(address=address)
    if accounts.too_many_failures(s, username, address, now):
        audit(s, "login_throttled", now, anonymous, username=username, via=via)
        return SignIn("throttled")
    user = accounts.verify_password(s, username, password) if username else None
    if user is None:
        accounts.note_failure(s, username, address, now)
        audit(s, "login_failed", now, anonymous, username=username, via=via)
        return SignIn("bad_credentials")
    info = user_info(user)
    audit(s, "login", now, actor_of(info, address), site=user.site, via=via)
    return SignIn("ok", info, user)


def sign_out(s: Session, user: UserInfo, address: str | None, now: datetime) -> None:
    audit(s, "logout", now, actor_of(user, address), site=user.site)


def enrolled(s: Session, device: DeviceInfo, address: str | None, now: datetime) -> None:
    """A browser was enrolled as ``device`` (it got the device cookie)."""
    audit(
        s,
        "device_enrolled",
        now,
        Actor(device_id=device.id, role=device.kind, site=device.site, address=address),
        site=device.site,
        counter=device.counter,
        kind=device.kind,
    )


def disable_user(s: Session, actor: Actor, username: str, now: datetime) -> UserInfo:
    """An admin disables ``username`` at once (sessions and tokens). Admins cannot lock
    themselves out this way."""
    if actor.role != "admin":
        raise Forbidden("Chỉ quản trị viên mới khóa được tài khoản.", en="Admins only.")
    user = accounts.find_user(s, username)
    if user.id == actor.user_id:
        raise InvalidInput(
            "Không thể tự khóa tài khoản của mình.",
            en="You cannot disable yourself.",
            field="username",
        )
    accounts.disable_user(s, username)
    audit(s, "user_disabled", now, actor, site=user.site, username=user.username)
    return user_info(user)


def actor_of(user: UserInfo, address: str | None) -> Actor:
    return Actor(user_id=user.id, role=user.role, site=user.site, address=address)


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.disabled, User.role, User.username)))


def list_devices(s: Session) -> list[Device]:
    return list(s.scalars(select(Device).order_by(Device.site, Device.kind, Device.name)))
