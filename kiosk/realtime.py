"""Socket.IO: the shared server object and the publisher of committed domain events.

Handlers live with their audience (``display/namespace.py``); this module only emits.
Events are published after the transaction commits, never before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask_socketio import SocketIO

from kiosk.domain.events import CounterChanged, TicketCalled, TicketChanged, TicketIssued

log = logging.getLogger(__name__)


def make_socketio(app: Any, message_queue: str | None, channel: str = "motcua") -> SocketIO:
    """One Socket.IO server per app, in threading mode (never auto-detected: see TECH-NOTES).
    Redis pub/sub ignores database numbers: ``channel`` keeps deployments that share one Redis
    apart."""
    return SocketIO(
        app,
        async_mode="threading",
        message_queue=message_queue,
        channel=channel,
        cors_allowed_origins=[],
        logger=False,
        engineio_logger=False,
    )


class Publisher:
    """Turns domain events into Socket.IO messages for the right rooms."""

    def __init__(self, sio: SocketIO, decorate_call: Callable[[dict[str, Any]], dict[str, Any]]):
        self.sio = sio
        self.decorate_call = decorate_call
        self.listeners: list[Callable[[Any], None]] = []

    def publish(self, events: Iterable[Any]) -> None:
        for event in events:
            try:
                self._publish_one(event)
            except Exception:  # a broken socket must never fail the request that committed
                log.exception("could not publish %r", event)

    def _publish_one(self, event: Any) -> None:
        if isinstance(event, TicketCalled):
            for d in event.displays:
                body = self.decorate_call({"event_id": d.event_id, **d.payload})
                self.sio.emit("called", body, to=f"display:{d.display_id}", namespace="/display")
        if isinstance(event, TicketIssued | TicketCalled | TicketChanged | CounterChanged):
            self.sio.emit(
                "queue", {"site": event.site}, to=f"site:{event.site}", namespace="/display"
            )
            self.sio.emit("queue", live_body(event), to=f"site:{event.site}", namespace="/live")
        for listener in self.listeners:
            listener(event)


def live_body(event: Any) -> dict[str, Any]:
    """What ``/live`` clients learn of a change: enough to decide whether to re-fetch."""
    body: dict[str, Any] = {"site": event.site, "kind": type(event).__name__}
    for name in ("ticket_id", "counter", "status"):
        value = getattr(event, name, None)
        if value is not None:
            body[name] = value
    return body
