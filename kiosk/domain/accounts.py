"""Users, devices and bearer tokens. Passwords use argon2; tokens are stored as SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.db import mark_auth_changed
from kiosk.domain.errors import Conflict, InvalidInput, NotFound
from kiosk.models import ApiToken, AuthFailure, Device, User

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
        password_hash=_hasher.hash(password),
        role=role,
        site=site,
        disabled=False,
        epoch=0,
        created_at=now,
    )
    s.add(user)
    s.flush()
    return user


def disable_user(s: Session, name: str) -> User:
    """Disable at once: bump the epoch (sessions) and revoke every token."""
    user = s.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFound(f"no user {name!r}", what="user")
    user.disabled = True
    user.epoch += 1
    s.execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked=True))
    mark_auth_changed(s)
    return user


def verify_password(s: Session, username: str, password: str) -> User | None:
    user = s.scalar(select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    return user


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


# Login throttling: 10 failures for one username or one address within 15 minutes.
FAILURE_WINDOW = timedelta(minutes=15)
FAILURE_LIMIT = 10


def too_many_failures(s: Session, username: str, address: str, now: datetime) -> bool:
    since = now - FAILURE_WINDOW
    by_user = (
        s.scalar(
            select(func.count())
            .select_from(AuthFailure)
            .where(AuthFailure.username == username, AuthFailure.at > since)
        )
        or 0
    )
    by_addr = (
        s.scalar(
            select(func.count())
            .select_from(AuthFailure)
            .where(AuthFailure.address == address, AuthFailure.at > since)
        )
        or 0
    )
    return by_user >= FAILURE_LIMIT or by_addr >= FAILURE_LIMIT


def note_failure(s: Session, username: str, address: str, now: datetime) -> None:
    s.execute(delete(AuthFailure).where(AuthFailure.at < now - FAILURE_WINDOW))
    s.add(AuthFailure(username=username[:64], address=address[:64], at=now))
