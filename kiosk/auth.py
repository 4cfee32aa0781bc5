"""Who is asking: bearer tokens, enrolled-device cookies and staff sessions."""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass

from flask import Request, g, request, session

from kiosk.db import Database
from kiosk.domain.accounts import (
    DeviceInfo,
    Principal,
    UserInfo,
    hash_token,
    resolve_token,
    user_info,
)
from kiosk.domain.clock import Clock
from kiosk.domain.tickets import Actor
from kiosk.models import User
from kiosk.services import ctx

DEVICE_COOKIE = "motcua_device"


@dataclass(frozen=True)
class Caller:
    principal: Principal
    via: str  # "token" | "cookie" | "session"

    @property
    def user(self) -> UserInfo | None:
        return self.principal.user

    @property
    def device(self) -> DeviceInfo | None:
        return self.principal.device

    @property
    def token_id(self) -> int | None:
        return self.principal.token_id

    def actor(self) -> Actor:
        p = self.principal
        if p.user is not None:
            return Actor(
                user_id=p.user.id, role=p.user.role, site=p.user.site, address=request.remote_addr
            )
        assert p.device is not None
        return Actor(
            device_id=p.device.id,
            role=p.device.kind,
            site=p.device.site,
            address=request.remote_addr,
        )


class TokenCache:
    """Bearer tokens already resolved, so that an API call does not open a read transaction
    just to learn who is asking. Entries live while :meth:`Database.auth_generation` stays the
    same (it moves when any process revokes a token or disables a user), the token has not
    expired, and at most ``max_age_s``, which bounds what a hand edit of the database can
    leave behind. Unknown tokens are never cached."""

    def __init__(self, db: Database, clock: Clock, size: int = 4096, max_age_s: float = 60.0):
        self.db = db
        self.clock = clock
        self.size = size
        self.max_age_s = max_age_s
        self._entries: dict[str, tuple[Hashable, float, Principal]] = {}

    def resolve(self, token: str) -> Principal | None:
        key = hash_token(token)
        generation = self.db.auth_generation()  # before the read: a change after it shows
        now = self.clock.now()
        hit = self._entries.get(key)
        if (
            hit is not None
            and generation is not None
            and hit[0] == generation
            and hit[1] > time.monotonic()
            and (hit[2].expires_at is None or hit[2].expires_at > now)
        ):
            return hit[2]
        with self.db.read() as s:
            principal = resolve_token(s, token, now)
        if principal is None or generation is None:
            self._entries.pop(key, None)
            return principal
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = (generation, time.monotonic() + self.max_age_s, principal)
        return principal


def principal_from_token(token: str) -> Principal | None:
    return ctx().tokens.resolve(token)


def principal_from_cookie(req: Request) -> Principal | None:
    token = req.cookies.get(DEVICE_COOKIE)
    return principal_from_token(token) if token else None


def principal_from_session() -> Principal | None:
    uid, epoch = session.get("uid"), session.get("epoch")
    if uid is None:
        return None
    app = ctx()
    with app.db.read() as s:
        user = s.get(User, uid)
        if user is None or user.disabled or user.epoch != epoch:
            session.clear()
            return None
        return Principal(None, user_info(user), None)


def current_caller() -> Caller | None:
    """Resolve the caller once per request: bearer token, then session, then device cookie."""
    if "caller" in g:
        return g.caller  # type: ignore[no-any-return]
    caller: Caller | None = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            p = principal_from_token(token.strip())
            caller = Caller(p, "token") if p else None
    else:
        p = principal_from_session()
        if p is not None:
            caller = Caller(p, "session")
        elif (p := principal_from_cookie(request)) is not None:
            caller = Caller(p, "cookie")
    g.caller = caller
    return caller


def socket_principal(
    auth: object, *, cookie_first: bool
) -> tuple[Principal | None, tuple[object, ...] | None]:
    """Who opens a Socket.IO connection, and how to ask again later (see
    :meth:`kiosk.realtime.Realtime.track`): ``auth={"token"}``, else the device cookie and
    the staff session (the device cookie first when ``cookie_first``)."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if isinstance(token, str) and token:
        return principal_from_token(token), ("token", token)
    cookie = request.cookies.get(DEVICE_COOKIE)

    def by_cookie() -> tuple[Principal | None, tuple[object, ...] | None]:
        p = principal_from_token(cookie) if cookie else None
        return (p, ("token", cookie)) if p else (None, None)

    def by_session() -> tuple[Principal | None, tuple[object, ...] | None]:
        p = principal_from_session()
        return (p, ("session", session.get("uid"), session.get("epoch"))) if p else (None, None)

    first, second = (by_cookie, by_session) if cookie_first else (by_session, by_cookie)
    found = first()
    return found if found[0] is not None else second()


def credential_valid(credential: tuple[object, ...]) -> bool:
    """Whether a credential remembered for a socket still works (app context needed)."""
    kind = credential[0]
    if kind == "token":
        return principal_from_token(str(credential[1])) is not None
    if kind == "session":
        _, uid, epoch = credential
        with ctx().db.read() as s:
            user = s.get(User, uid)
            return user is not None and not user.disabled and user.epoch == epoch
    return False
