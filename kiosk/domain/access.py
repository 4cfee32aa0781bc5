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
from kiosk.domain.events import CredentialsRevoked
from kiosk.domain.tickets import Actor, audit
from kiosk.models import Device, User


@dataclass(frozen=True)
class SignIn:
    outcome: str  # "ok" | "bad_credentials" | "throttled"
    user: UserInfo | None = None
    row: User | None = None  # the user's row, in the caller's session
    session_id: str | None = None  # of the server-side session, for the login form


def login_failed(
    s: Session, username: str, known: bool, digest: str, address: str, now: datetime, via: str
) -> None:
    """Audit a failed sign-in. An unknown username is not stored as typed (people type their
    password there by mistake): only a keyed ``digest`` of it, enough to see one name tried
    again and again."""
    who = {"username": username} if known else {"unknown_user": True, "username_digest": digest}
    audit(s, "login_failed", now, Actor(address=address), via=via, **who)


def login_throttled(s: Session, address: str, now: datetime, via: str) -> None:
    audit(s, "login_throttled", now, Actor(address=address), via=via)


def logged_in(
    s: Session, user_id: int, address: str, now: datetime, via: str, *, session: bool = False
) -> SignIn:
    """The password matched: audit it (and open a server-side session for the login form).
    Re-read in this write transaction: a user disabled meanwhile gets nothing."""
    user = s.get(User, user_id)
    if user is None or user.disabled:
        return SignIn("bad_credentials")
    info = user_info(user)
    audit(s, "login", now, actor_of(info, address), site=user.site, via=via)
    sid = accounts.open_session(s, user.id, now) if session else None
    return SignIn("ok", info, user, sid)


def sign_out(
    s: Session, user: UserInfo, session_id: str | None, address: str | None, now: datetime
) -> tuple[None, list[CredentialsRevoked]]:
    """End the session on the server (a copy of the cookie no longer works) and audit it."""
    events: list[CredentialsRevoked] = []
    if session_id:
        _, events = accounts.end_session(s, session_id)
    audit(s, "logout", now, actor_of(user, address), site=user.site)
    return None, events


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


def disable_user(
    s: Session, actor: Actor, username: str, now: datetime
) -> tuple[UserInfo, list[CredentialsRevoked]]:
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
    _, events = accounts.disable_user(s, username)
    audit(s, "user_disabled", now, actor, site=user.site, username=user.username)
    return user_info(user), events


def actor_of(user: UserInfo, address: str | None) -> Actor:
    return Actor(user_id=user.id, role=user.role, site=user.site, address=address)


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.disabled, User.role, User.username)))


def list_devices(s: Session) -> list[Device]:
    return list(s.scalars(select(Device).order_by(Device.site, Device.kind, Device.name)))
