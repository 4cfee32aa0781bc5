"""Socket.IO for one server process: the server object, the publisher of committed events, the
message queue between processes, and the sockets' credentials.

Namespaces live with their audience: ``/display`` in ``display/namespace.py``, ``/live``
(kiosks, counter consoles, phones) in :mod:`kiosk.realtime.live`.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from kiosk.inputs import SocketPacket
from kiosk.logs import socketio_logger
from kiosk.origins import origin_check
from kiosk.realtime.publisher import Publisher, live_body
from kiosk.settings import Settings

log = logging.getLogger(__name__)

REVALIDATE_EVERY_S = 0.5
# An Engine.IO connection that has joined no namespace this long after it opened (none asked
# for, or every one refused) is closed: it would only hold memory. The sweep that finds them
# runs every half of it and also checks every connection's heartbeat (see ``_sweep``).
BARE_SOCKET_S = 5.0

# How a socket proved who it is, kept so that it can be asked again: ("token", token) or
# ("session", server-side session id).
Credential = tuple[Any, ...]


def async_mode() -> str:
    """``gevent`` inside a gevent worker (the standard library is patched), else
    ``threading`` (tests, development). Never auto-detected from what happens to be
    installed."""
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


class Realtime:
    """The process's Socket.IO server and what it knows of its own clients."""

    def __init__(
        self,
        app: Flask,
        settings: Settings,
        decorate_call: Callable[[dict[str, Any]], dict[str, Any]],
        site_displays: Callable[[str], Iterable[int]],
    ) -> None:
        manager = None
        if settings.message_queue:
            from kiosk.realtime.queue import QueueManager

            # Redis pub/sub ignores database numbers: the channel keeps deployments that share
            # one Redis apart.
            manager = QueueManager(
                settings.message_queue,
                settings.channel,
                self.catch_up,
                on_site_change=lambda site: self.publisher.tell_phones(site),
            )
        self.socketio = SocketIO(
            app,
            async_mode=async_mode(),
            client_manager=manager,
            # Only the namespaces with handlers: the default "/" would accept anyone.
            namespaces=["/display", "/live"],
            cors_allowed_origins=origin_check(settings.public_url),  # own + public URL's
            # Engine.IO's own monitor wakes once per connection per ping timeout (every 10 ms
            # with 2,000 displays) to check one connection; ``_sweep`` checks them all in one
            # pass every 2.5 s instead.
            monitor_clients=False,
            logger=socketio_logger("socketio.server"),
            engineio_logger=socketio_logger("engineio.server"),
        )
        self.socketio.server.packet_class = SocketPacket  # strict JSON, as for HTTP bodies
        self.publisher = Publisher(self.socketio, decorate_call, site_displays)
        self._credentials: dict[tuple[str, str], Credential] = {}
        self._lock = threading.Lock()
        self._watching = False
        self._app = app

    # --- stopping -----------------------------------------------------------------------------

    def close_all(self) -> None:
        """Close every Socket.IO connection of this process (the server is stopping)."""
        for eio_sid in list(self.socketio.server.eio.sockets):
            self.drop(eio_sid)

    def drop(self, eio_sid: str) -> None:
        """Close an Engine.IO connection, down to its TCP connection: the library's own close
        sends a close frame and then waits for the client's answer, which a hostile or broken
        client never sends."""
        server = self.socketio.server
        sock = server.eio.sockets.get(eio_sid)
        raw = server.environ.get(eio_sid, {}).get("gunicorn.socket")
        try:
            if sock is not None:
                sock.close(wait=False, abort=True)
        except Exception:  # a socket that is already going away
            log.debug("closing a socket failed", exc_info=True)
        if raw is not None:
            try:
                raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def start_sweeping(self) -> None:
        """Check every Engine.IO connection every ``BARE_SOCKET_S / 2``: close those that
        joined no namespace (see ``BARE_SOCKET_S``) and those whose client stopped answering
        pings."""
        self.socketio.start_background_task(self._sweep)

    def _sweep(self) -> None:
        bare_since: dict[str, float] = {}
        while True:
            self.socketio.sleep(BARE_SOCKET_S / 2)
            try:
                self._check_heartbeats()
                self._close_bare(bare_since)
            except Exception:  # the next pass tries again
                log.exception("socket sweep failed")

    def _check_heartbeats(self) -> None:
        """What Engine.IO's monitor does (``monitor_clients``), for every connection at once:
        forget closed connections and close those whose last ping went unanswered for the
        ping timeout. A WebSocket's own read timeout also notices a silent client; a
        long-polling client that simply stops polling is noticed only here."""
        sockets = self.socketio.server.eio.sockets
        for eio_sid, sock in list(sockets.items()):
            if sock.closed:
                sockets.pop(eio_sid, None)
            elif not sock.closing:
                sock.check_ping_timeout()

    def _close_bare(self, bare_since: dict[str, float]) -> None:
        now = time.monotonic()
        server = self.socketio.server
        joined = {
            eio_sid
            for rooms in list(server.manager.rooms.values())
            for eio_sid in list(rooms.get(None, {}).values())
        }
        current = set(server.eio.sockets)
        for eio_sid in list(bare_since):
            if eio_sid not in current or eio_sid in joined:
                del bare_since[eio_sid]
        for eio_sid in current - joined:
            first = bare_since.setdefault(eio_sid, now)
            if now - first >= BARE_SOCKET_S:
                del bare_since[eio_sid]
                self.drop(eio_sid)

    # --- the message queue came back ------------------------------------------------------------

    def catch_up(self) -> None:
        """After the message queue was lost, this process's clients may have missed events
        published by the others: displays are asked to resynchronise (they fetch what they
        missed, and announce it once, in order), kiosks and consoles to re-fetch."""
        self.socketio.emit("resync", {}, namespace="/display", ignore_queue=True)
        self.socketio.emit("queue", {"kind": "Resync"}, namespace="/live", ignore_queue=True)

    # --- credentials taken away -------------------------------------------------------------

    def track(self, namespace: str, sid: str, credential: Credential | None) -> None:
        """Remember how the socket ``sid`` authenticated, so that it is disconnected once that
        credential stops working (a user disabled or logged out, a device revoked)."""
        if credential is None:
            return
        with self._lock:
            self._credentials[(namespace, sid)] = credential
            start = not self._watching
            self._watching = True
        if start:
            self.socketio.start_background_task(self._watch)

    def config_changed(self, version: int | None) -> None:
        """Tell this process's kiosks, consoles and displays that the configuration changed
        (they reload their lists). Each process tells its own clients when it takes up the new
        version, so a change made anywhere (another worker, `motcua config import`) reaches
        every client once, with or without a message queue."""
        body = {"version": version}
        for namespace in ("/live", "/display"):
            try:
                self.socketio.server.emit("config", body, namespace=namespace, ignore_queue=True)
            except Exception:
                log.exception("could not tell %s clients about the new configuration", namespace)

    def forget(self, namespace: str, sid: str) -> None:
        with self._lock:
            self._credentials.pop((namespace, sid), None)

    def _watch(self) -> None:
        from kiosk.auth import credential_valid

        db = self._app.extensions["motcua"].db
        seen: Hashable | None = db.auth_generation()
        while True:
            self.socketio.sleep(REVALIDATE_EVERY_S)
            with self._lock:
                if not self._credentials:
                    self._watching = False
                    return
            generation = db.auth_generation()
            if generation is not None and generation == seen:
                continue
            seen = generation
            self._app.extensions["motcua"].refresh_config()  # a new version: tell clients
            with self._lock:
                tracked = list(self._credentials.items())
            with self._app.app_context():
                for (namespace, sid), credential in tracked:
                    try:
                        valid = credential_valid(credential)
                    except Exception:
                        log.exception("could not check a socket's credentials")
                        continue
                    if not valid:
                        self.forget(namespace, sid)
                        self.socketio.server.disconnect(sid, namespace=namespace, ignore_queue=True)


__all__ = ["Credential", "Publisher", "Realtime", "async_mode", "live_body"]
