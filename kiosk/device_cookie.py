"""The device cookie: the browser tokens of every device this browser was enrolled as.

One browser may be several devices at once (a kiosk in one tab, a display in another, as in
a demo on one laptop), so the cookie holds up to :data:`MAX_DEVICES` browser tokens joined by
dots, newest first. A page acting as one of them says which: API calls send the device's id in
the ``X-Motcua-Device`` header, Socket.IO connections in the ``motcua_device`` query parameter.
A request that names a device is answered as that device even when a staff member is signed
in in the same browser; one that names none is answered as the signed-in user, else as the
first live device.

A token that no longer resolves (its device was revoked) is ignored, and dropped the next time
the cookie is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from flask import Request, Response

from kiosk.domain.accounts import DeviceInfo
from kiosk.services import ctx

COOKIE = "motcua_device"
HEADER = "X-Motcua-Device"
QUERY = "motcua_device"
MAX_DEVICES = 8
MAX_AGE_S = 10 * 365 * 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def cookie_tokens(value: str | None) -> list[str]:
    """The well-formed tokens of a cookie value, in order, without repeats."""
    out: list[str] = []
    for part in (value or "")[: 130 * MAX_DEVICES].split("."):
        if _TOKEN.match(part) and part not in out:
            out.append(part)
    return out[:MAX_DEVICES]


def wanted_device(req: Request) -> str | None:
    """The device id a page acting as a device names (header, or query on Socket.IO)."""
    wanted = req.headers.get(HEADER)
    if wanted is None and req.path.startswith("/socket.io"):
        wanted = req.args.get(QUERY)
    return wanted[:20] if wanted else None


def devices_here(req: Request) -> list[tuple[str, DeviceInfo]]:
    """Every live device this browser holds, with its token, newest enrollment first."""
    found: list[tuple[str, DeviceInfo]] = []
    for token in cookie_tokens(req.cookies.get(COOKIE)):
        principal = ctx().tokens.resolve(token)
        if principal is not None and principal.device is not None:
            found.append((token, principal.device))
    return found


def device_here(req: Request, match: Callable[[DeviceInfo], bool]) -> DeviceInfo | None:
    """The first device this browser holds for which ``match`` is true."""
    return next((d for _, d in devices_here(req) if match(d)), None)


def remember(resp: Response, req: Request, token: str, device: DeviceInfo) -> None:
    """Add a freshly enrolled device to the cookie: it replaces an older token of the same
    device, dead tokens are dropped, and the oldest goes when the cookie is full."""
    kept = [t for t, d in devices_here(req) if d.id != device.id]
    _write(resp, req, [token, *kept])


def forget(resp: Response, req: Request, device_id: int) -> None:
    """Stop being one device (the others stay)."""
    _write(resp, req, [t for t, d in devices_here(req) if d.id != device_id])


def _write(resp: Response, req: Request, tokens: Iterable[str]) -> None:
    value = ".".join(list(tokens)[:MAX_DEVICES])
    if not value:
        resp.delete_cookie(COOKIE, path="/")
        return
    resp.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE_S,
        httponly=True,
        samesite="Lax",
        secure=req.is_secure,
        path="/",
    )
