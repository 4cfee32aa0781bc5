"""Who is asking: bearer tokens, enrolled-device cookies and staff sessions."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request, g, request, session

from kiosk.context import ctx
from kiosk.domain.accounts import DeviceInfo, Principal, UserInfo, resolve_token, user_info
from kiosk.domain.tickets import Actor
from kiosk.models import User

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


def principal_from_token(token: str) -> Principal | None:
    app = ctx()
    with app.db.read() as s:
        return resolve_token(s, token, app.clock.now())


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
