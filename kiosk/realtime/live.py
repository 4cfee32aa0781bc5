"""Namespace ``/live``: pushes "the queue changed" to kiosks, counter consoles and phones.

Clients join the room of their site and re-fetch what they show when ``queue`` arrives (the
payload says what changed, so they can skip what they do not show); phones join the site's
phone room, which hears of changes at most once a second. Kiosks and rating tablets
authenticate with their device cookie or ``auth={"token"}``; staff with their session or a
token; the phone tracking page joins as ``auth={"track": code}`` and only learns of changes,
never of other tickets.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_socketio import Namespace, join_room
from sqlalchemy import select

from kiosk.auth import socket_principal
from kiosk.models import Ticket
from kiosk.services import ctx


class LiveNamespace(Namespace):
    def on_connect(self, auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        app = ctx()
        if isinstance(auth.get("track"), str):
            code = auth["track"][:32]
            with app.db.read() as s:
                site = s.scalar(select(Ticket.site).where(Ticket.code == code))
            if site is None:
                raise ConnectionRefusedError("unknown ticket")
            join_room(f"phones:{site}")
            return
        principal, credential = socket_principal(auth, cookie_first=False)
        if principal is None:
            raise ConnectionRefusedError("unauthorized")
        app.realtime.track("/live", request.sid, credential)
        if principal.device is not None:
            join_room(f"site:{principal.device.site}")
            return
        user = principal.user
        assert user is not None
        wanted = auth.get("site")
        sites = [s.code for s in app.config.sites]
        if user.site is not None:
            join_room(f"site:{user.site}")
        elif isinstance(wanted, str) and wanted in sites:
            join_room(f"site:{wanted}")
        else:
            for code in sites:
                join_room(f"site:{code}")

    def on_disconnect(self, _reason: Any = None) -> None:
        ctx().realtime.forget("/live", request.sid)
