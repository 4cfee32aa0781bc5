"""The publisher of committed domain events: which Socket.IO messages go to which rooms.

Events are published after the transaction commits, never before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask_socketio import SocketIO

from kiosk.domain.events import CounterChanged, TicketCalled, TicketChanged, TicketIssued

log = logging.getLogger(__name__)
PHONE_NOTICE_S = 1.0
PHONE_SLICE = 50  # phones told at once; then a pause lets waiting requests run
PHONE_SLICE_PAUSE_S = 0.002


class Publisher:
    """Turns domain events into Socket.IO messages for the right rooms.

    ``/display`` gets ``called`` per display and one ``queue`` notice per site and batch (the
    displays refresh their waiting counts on it), and none for a display that was just sent a
    ``called`` of the same batch: that one already tells it the queue moved. With hundreds of
    displays this halves what a call costs to fan out. ``/live`` gets every event in the
    room of the site's kiosks and consoles (``site:<code>``); the phones following a ticket
    (``phones:<code>``, possibly thousands) get one ``queue`` notice per site and
    :data:`PHONE_NOTICE_S` at most, after the changes it covers.

    Each server process tells its own phones (:meth:`tell_phones`, also called when a change
    published by another process arrives), :data:`PHONE_SLICE` at a time with a pause between:
    sent at once, a notice to a thousand phones kept the process's event loop from every
    request for tens of milliseconds."""

    def __init__(
        self,
        sio: SocketIO,
        decorate_call: Callable[[dict[str, Any]], dict[str, Any]],
        site_displays: Callable[[str], Iterable[int]] = lambda _site: (),
    ):
        self.sio = sio
        self.decorate_call = decorate_call
        self.site_displays = site_displays
        self._phones_due: set[str] = set()  # sites with a phone notice on its way
        self._lock = threading.Lock()

    def publish(self, events: Iterable[Any]) -> None:
        moved: dict[str, set[int]] = {}  # site -> displays already told by a `called`
        for event in events:
            try:
                called = self._publish_one(event)
            except Exception:  # a broken socket must never fail the request that committed
                log.exception("could not publish %r", event)
                continue
            if isinstance(event, _QUEUE_EVENTS):
                moved.setdefault(event.site, set()).update(called)
        for site, told in moved.items():
            try:
                self._queue_notice(site, told)
            except Exception:
                log.exception("could not publish the queue notice of %s", site)

    def _publish_one(self, event: Any) -> set[int]:
        called: set[int] = set()
        if isinstance(event, TicketCalled):
            for d in event.displays:
                body = self.decorate_call({"event_id": d.event_id, **d.payload})
                self.sio.emit("called", body, to=f"display:{d.display_id}", namespace="/display")
                called.add(d.display_id)
        if isinstance(event, _QUEUE_EVENTS):
            self.sio.emit("queue", live_body(event), to=f"site:{event.site}", namespace="/live")
            self.tell_phones(event.site)
        return called

    def tell_phones(self, site: str) -> None:
        """Tell this process's phones of ``site`` that the queue moved, once for every change
        within :data:`PHONE_NOTICE_S`."""
        with self._lock:
            if site in self._phones_due:
                return
            self._phones_due.add(site)
        self.sio.start_background_task(self._phones_notice, site)

    def _phones_notice(self, site: str) -> None:
        self.sio.sleep(PHONE_NOTICE_S)
        with self._lock:
            self._phones_due.discard(site)
        server = self.sio.server
        try:
            sids = [sid for sid, _ in server.manager.get_participants("/live", f"phones:{site}")]
            for start in range(0, len(sids), PHONE_SLICE):
                if start:
                    self.sio.sleep(PHONE_SLICE_PAUSE_S)
                server.emit(
                    "queue",
                    {"site": site},
                    to=sids[start : start + PHONE_SLICE],
                    namespace="/live",
                    ignore_queue=True,
                )
        except Exception:
            log.exception("could not publish the phones' notice of %s", site)

    def _queue_notice(self, site: str, told: set[int]) -> None:
        body = {"site": site}
        if not told:
            self.sio.emit("queue", body, to=f"site:{site}", namespace="/display")
            return
        for display_id in self.site_displays(site):
            if display_id not in told:
                self.sio.emit("queue", body, to=f"display:{display_id}", namespace="/display")


_QUEUE_EVENTS = (TicketIssued, TicketCalled, TicketChanged, CounterChanged)


def live_body(event: Any) -> dict[str, Any]:
    """What ``/live`` clients learn of a change: enough to decide whether to re-fetch."""
    body: dict[str, Any] = {"site": event.site, "kind": type(event).__name__}
    for name in ("ticket_id", "counter", "status"):
        value = getattr(event, name, None)
        if value is not None:
            body[name] = value
    return body
