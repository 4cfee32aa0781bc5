"""Who is asking: bearer tokens, enrolled-device cookies and staff sessions."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from flask import Request, g, request, session
from sqlalchemy.orm import Session

from kiosk.db import Database
from kiosk.device_cookie import COOKIE as DEVICE_COOKIE
from kiosk.device_cookie import cookie_tokens, wanted_device
from kiosk.domain import access, accounts
from kiosk.domain.access import SignIn
from kiosk.domain.accounts import (
    DeviceInfo,
    Principal,
    UserInfo,
    hash_token,
    resolve_token,
    session_user,
    user_info,
)
from kiosk.domain.clock import Clock
from kiosk.domain.tickets import Actor
from kiosk.models import User
from kiosk.offload import cpu_bound
from kiosk.services import ctx
from kiosk.throttle import throttle


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
    """The enrolled device the request acts as (see kiosk.device_cookie): the one it names,
    else the first live one the browser holds."""
    found = cookie_device(req)
    return found[1] if found else None


def cookie_device(req: Request) -> tuple[str, Principal] | None:
    """The browser token and device of :func:`principal_from_cookie`."""
    wanted = wanted_device(req)
    for token in cookie_tokens(req.cookies.get(DEVICE_COOKIE)):
        p = principal_from_token(token)
        if p is not None and p.device is not None and wanted in (None, str(p.device.id)):
            return token, p
    return None


def principal_from_session() -> Principal | None:
    """The user of this browser's server-side session (see :func:`sign_in`); a session that
    was logged out, expired or whose user was disabled clears the cookie's contents."""
    sid = session.get("sid")
    if sid is None:
        if session.get("uid") is not None:
            session.clear()  # from before sessions were kept on the server
        return None
    app = ctx()
    with app.db.read() as s:
        user = session_user(s, sid, app.clock.now()) if isinstance(sid, str) else None
        if user is None:
            session.clear()
            return None
        return Principal(None, user_info(user), None)


def sign_in(
    username: str,
    password: str,
    *,
    via: str,
    open_session: bool = False,
    then: Callable[[Session, User], Any] | None = None,
) -> tuple[SignIn, Any]:
    """Check a username and password, throttled per (username, address) and per address.

    The password is checked outside any transaction (a slow hash must not hold the database's
    write lock) and off the event loop under gevent; then one short transaction audits the
    outcome, opens a server-side session if asked, and runs ``then(session, user_row)`` on
    success (e.g. to issue a token). Returns the outcome and what ``then`` returned."""
    app = ctx()
    gate = throttle()
    username = username.strip()[:64]
    address = request.remote_addr or "?"
    now = app.clock.now()
    if not gate.login_admit(username, address):
        if gate.note_throttled(address):
            with app.db.transaction() as s:
                access.login_throttled(s, address, now, via)
        return SignIn("throttled"), None
    with app.db.read() as s:
        found = accounts.login_candidate(s, username) if username else None
    ok = cpu_bound(accounts.password_matches, found[1] if found else None, password)
    if ok and found is not None and not found[2]:
        with app.db.transaction() as s:
            result = access.logged_in(s, found[0], address, now, via, session=open_session)
            extra = then(s, result.row) if then is not None and result.row is not None else None
        if result.user is not None:
            gate.login_ok(username, address)
            return result, extra
    digest = hmac.new(app.settings.secret_key.encode(), username.encode(), "sha256")
    with app.db.transaction() as s:
        known = found is not None
        access.login_failed(s, username, known, digest.hexdigest()[:16], address, now, via)
    return SignIn("bad_credentials"), None


def current_caller() -> Caller | None:
    """Resolve the caller once per request: bearer token, then session, then device cookie
    (a request naming an enrolled device is answered as that device only)."""
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
        p = None if wanted_device(request) else principal_from_session()
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

    def by_cookie() -> tuple[Principal | None, tuple[object, ...] | None]:
        found = cookie_device(request)
        return (found[1], ("token", found[0])) if found else (None, None)

    def by_session() -> tuple[Principal | None, tuple[object, ...] | None]:
        p = principal_from_session()
        return (p, ("session", session.get("sid"))) if p else (None, None)

    first, second = (by_cookie, by_session) if cookie_first else (by_session, by_cookie)
    found = first()
    return found if found[0] is not None else second()


def credential_valid(credential: tuple[object, ...]) -> bool:
    """Whether a credential remembered for a socket still works (app context needed)."""
    kind = credential[0]
    if kind == "token":
        return principal_from_token(str(credential[1])) is not None
    if kind == "session":  # the server-side session: gone once logged out or disabled
        app = ctx()
        with app.db.read() as s:
            return session_user(s, str(credential[1]), app.clock.now()) is not None
    return False
