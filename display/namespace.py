"""Namespace ``/display``: authenticate, join rooms, send the ``state`` snapshot.

Rooms are forgotten on disconnect, so every connect re-joins and gets a fresh snapshot; a
display that sees a gap in ``event_id`` emits ``state`` to ask for one again.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import request, session
from flask_socketio import Namespace, emit, join_room

from kiosk.auth import socket_principal
from kiosk.domain import presence
from kiosk.domain.queue import display_state
from kiosk.services import ctx


class DisplayNamespace(Namespace):
    def on_connect(self, auth: Any = None) -> None:
        app = ctx()
        # A display PC's token or enrolment cookie, or a signed-in staff member's browser.
        principal, credential = socket_principal(auth, cookie_first=True)
        if principal is None:
            raise ConnectionRefusedError("unauthorized")
        if principal.device is not None:
            if principal.device.kind != "display" or principal.device.display_id is None:
                raise ConnectionRefusedError("forbidden")
            display_id = principal.device.display_id
        else:
            wanted = auth.get("display") if isinstance(auth, dict) else None
            display_id = wanted if isinstance(wanted, int) else None
            if display_id is None:
                raise ConnectionRefusedError("display id required")
        found = app.config.display(display_id)
        if found is None:
            raise ConnectionRefusedError("unknown display")
        site, _ = found
        user = principal.user
        if user is not None and user.site not in (None, site.code):
            raise ConnectionRefusedError("forbidden")
        session["display_id"] = display_id
        app.realtime.track("/display", request.sid, credential)
        join_room(f"display:{display_id}")
        join_room(f"site:{site.code}")
        app.presence.opened(display_id)
        _mark(display_id, connected=True)
        self._send_state(display_id)

    def on_disconnect(self, _reason: Any = None) -> None:
        ctx().realtime.forget("/display", request.sid)
        display_id = session.get("display_id")
        if display_id is not None and ctx().presence.closed(display_id):
            _mark(display_id, connected=False)

    def on_state(self, data: Any = None) -> None:
        """A snapshot on request; ``{"since": event_id}`` adds the calls after that event."""
        display_id = session.get("display_id")
        since = data.get("since") if isinstance(data, dict) else None
        if not isinstance(since, int) or isinstance(since, bool) or not 0 <= since < 2**62:
            since = None
        if display_id is not None:
            self._send_state(display_id, since)

    @staticmethod
    def _send_state(display_id: int, since: int | None = None) -> None:
        app = ctx()
        with app.db.read() as s:
            state = display_state(s, app.config, app.clock, display_id, since)
        if "missed" in state:
            state["missed"] = [app.publisher.decorate_call(call) for call in state["missed"]]
        emit("state", state)


def _mark(display_id: int, *, connected: bool) -> None:
    """Record the display's presence for alarms; never fails the connection over it."""
    app = ctx()
    try:
        with app.db.transaction() as s:
            presence.mark(s, [display_id], app.clock.now(), connected=connected)
    except Exception:
        logging.getLogger(__name__).warning(
            "could not record display %s", display_id, exc_info=True
        )
