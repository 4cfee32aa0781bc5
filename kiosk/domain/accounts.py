"""Users, devices and bearer tokens. Passwords use argon2; tokens are stored as SHA-256.
A device's enrollment links, enrolled browsers and revocation: :mod:`kiosk.domain.devices`."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.domain.errors import Conflict, InvalidInput, NotFound
from kiosk.domain.events import CredentialsRevoked
from kiosk.models import ApiToken, Device, StaffSession, User

ROLES = ("staff", "supervisor", "admin")
DEVICE_KINDS = ("kiosk", "display", "counter", "printer")
USER_TOKEN_TTL = timedelta(days=30)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_hasher = PasswordHasher()
# Verified against when the username does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-password")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_name(name: str, what: str) -> str:
    if not _NAME.match(name or ""):
        raise InvalidInput(
            f"{what} name {name!r}: use 1-64 letters, digits, '.', '_' or '-'", field="name"
        )
    return name


def add_user(
    s: Session,
    cfg: Config,
    now: datetime,
    name: str,
    role: str,
    password: str,
    site: str | None = None,
) -> User:
    _check_name(name, "user")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    if len(password) < 8:
        raise InvalidInput("password must have at least 8 characters", field="password")
    if site is not None and cfg.site(site) is None:
        raise NotFound(f"unknown site {site!r}", what="site")
    if s.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"user {name!r} already exists")
    user = User(
        username=name,
        password_hash=hash_password(password),
        role=role,
        site=site,
        disabled=False,
        epoch=0,
        created_at=now,
    )
    s.add(user)
    s.flush()
    return user


def disable_user(s: Session, name: str) -> tuple[User, list[CredentialsRevoked]]:
    """Disable at once: bump the epoch (sessions) and revoke every token. The event makes
    every process forget cached credentials and close the user's sockets once committed."""
    user = s.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFound(f"no user {name!r}", what="user")
    user.disabled = True
    user.epoch += 1
    s.execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked=True))
    s.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    return user, [CredentialsRevoked(user_id=user.id)]


def hash_password(password: str) -> str:
    """The argon2 hash to store (CPU-bound: call it outside any transaction)."""
    return _hasher.hash(password)


def login_candidate(s: Session, username: str) -> tuple[int, str, bool] | None:
    """(id, password hash, disabled) of the user called ``username``, or None."""
    row = s.execute(
        select(User.id, User.password_hash, User.disabled).where(User.username == username)
    ).first()
    return None if row is None else (row[0], row[1], bool(row[2]))


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; with None (no such user) a dummy hash is
    checked so that both answers cost the same. CPU-bound: call it outside any transaction."""
    try:
        _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


SESSION_TTL = timedelta(hours=12)


def open_session(s: Session, user_id: int, now: datetime) -> str:
    """A new server-side session for a signed-in user; returns its id (kept in the cookie,
    stored hashed). Expired sessions of that user are swept on the way."""
    s.execute(
        delete(StaffSession).where(StaffSession.user_id == user_id, StaffSession.expires_at <= now)
    )
    sid = secrets.token_urlsafe(32)
    s.add(
        StaffSession(
            id_hash=hash_token(sid), user_id=user_id, created_at=now, expires_at=now + SESSION_TTL
        )
    )
    return sid


def end_session(s: Session, sid: str) -> tuple[bool, list[CredentialsRevoked]]:
    """Delete the session: every copy of its cookie stops working. True if it existed; the
    event has open Socket.IO connections of that session re-checked once committed."""
    done = s.execute(delete(StaffSession).where(StaffSession.id_hash == hash_token(sid)))
    return bool(done.rowcount), [CredentialsRevoked()]  # type: ignore[attr-defined]


_SESSION_USER = (
    select(User)
    .join(StaffSession, StaffSession.user_id == User.id)
    .where(
        StaffSession.id_hash == bindparam("h"),
        StaffSession.expires_at > bindparam("now"),
        User.disabled.is_(False),
    )
)


def session_user(s: Session, sid: str, now: datetime) -> User | None:
    """The live user of a session id, or None (logged out, expired, disabled)."""
    return s.scalar(_SESSION_USER, {"h": hash_token(sid), "now": now})


def add_device(
    s: Session,
    cfg: Config,
    now: datetime,
    name: str,
    kind: str,
    site: str,
    display: int | None = None,
    counter: int | None = None,
) -> tuple[Device, str]:
    """Register a device and return it with its token (shown once, stored hashed)."""
    _check_name(name, "device")
    if kind not in DEVICE_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(DEVICE_KINDS)}", field="kind")
    site_cfg = cfg.site(site)
    if site_cfg is None:
        raise NotFound(f"unknown site {site!r}", what="site")
    if kind == "display":
        if display is None:
            raise InvalidInput("a display device needs --display ID", field="display")
        if not any(d.id == display for d in site_cfg.displays):
            raise NotFound(f"site {site!r} has no display {display}", what="display")
    elif display is not None:
        raise InvalidInput("--display is only for display devices", field="display")
    if kind == "counter":
        if counter is None:
            raise InvalidInput("a counter device needs --counter N", field="counter")
        if site_cfg.counter(counter) is None:
            raise NotFound(f"site {site!r} has no counter {counter}", what="counter")
    elif counter is not None:
        raise InvalidInput("--counter is only for counter devices", field="counter")
    if s.scalar(select(Device.id).where(Device.name == name)) is not None:
        raise Conflict(f"device {name!r} already exists")
    device = Device(
        name=name,
        kind=kind,
        site=site,
        display_id=display,
        counter=counter,
        disabled=False,
        created_at=now,
    )
    s.add(device)
    s.flush()
    token = "d_" + secrets.token_urlsafe(32)
    s.add(
        ApiToken(token_hash=hash_token(token), device_id=device.id, created_at=now, revoked=False)
    )
    return device, token


def issue_user_token(s: Session, user: User, now: datetime) -> tuple[str, datetime]:
    if user.disabled:
        raise Conflict(f"user {user.username!r} is disabled")
    token = "u_" + secrets.token_urlsafe(32)
    expires = now + USER_TOKEN_TTL
    s.add(
        ApiToken(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            expires_at=expires,
            revoked=False,
        )
    )
    return token, expires


def find_user(s: Session, name: str) -> User:
    user = s.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFound(f"no user {name!r}", what="user")
    return user


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    role: str
    site: str | None
    epoch: int


@dataclass(frozen=True)
class DeviceInfo:
    id: int
    name: str
    kind: str
    site: str
    display_id: int | None
    counter: int | None


@dataclass(frozen=True)
class Principal:
    """Who a bearer token or session belongs to, as the API needs it."""

    token_id: int | None
    user: UserInfo | None
    device: DeviceInfo | None
    expires_at: datetime | None = None  # of the token


_RESOLVE = (
    select(
        ApiToken.id,
        ApiToken.expires_at,
        User.id,
        User.username,
        User.role,
        User.site,
        User.epoch,
        User.disabled,
        Device.id,
        Device.name,
        Device.kind,
        Device.site,
        Device.display_id,
        Device.counter,
        Device.disabled,
    )
    .outerjoin(User, ApiToken.user_id == User.id)
    .outerjoin(Device, ApiToken.device_id == Device.id)
    .where(ApiToken.token_hash == bindparam("h"), ApiToken.revoked.is_(False))
)


def resolve_token(s: Session, token: str, now: datetime) -> Principal | None:
    """The live user or device behind a bearer token (None if unknown, revoked, expired or
    disabled). One indexed query: it runs on every API request."""
    row = s.connection().execute(_RESOLVE, {"h": hash_token(token)}).first()
    if row is None:
        return None
    (
        tok_id,
        expires,
        uid,
        uname,
        role,
        usite,
        epoch,
        udisabled,
        did,
        dname,
        kind,
        dsite,
        display_id,
        counter,
        ddisabled,
    ) = row
    if expires is not None and expires <= now:
        return None
    user = device = None
    if uid is not None:
        if udisabled:
            return None
        user = UserInfo(uid, uname, role, usite, epoch)
    if did is not None:
        if ddisabled:
            return None
        device = DeviceInfo(did, dname, kind, dsite, display_id, counter)
    if user is None and device is None:
        return None
    return Principal(tok_id, user, device, expires)


def user_info(user: User) -> UserInfo:
    return UserInfo(user.id, user.username, user.role, user.site, user.epoch)
