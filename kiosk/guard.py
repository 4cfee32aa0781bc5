"""What stands between the network and the application, as WSGI middleware: the real client
address behind trusted reverse proxies, a cap on connections per client address, a time
limit on reading a request, and WebSockets without per-message compression.

gunicorn itself limits the request line and headers (size and count) and closes a connection
whose headers have not arrived within ``kiosk.server.HEADER_TIMEOUT_S``; Flask refuses bodies
over ``MAX_CONTENT_LENGTH`` (413).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import ClosingIterator

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A request (other than a WebSocket) must be read and answered within this many seconds: a
# client that trickles its body holds its greenlet no longer. Long-polling requests wait up
# to the Socket.IO ping interval (25 s) by design.
REQUEST_DEADLINE_S = 60


class ConnectionCap:
    """Refuse a client address more than ``per_address`` requests in progress at once (an open
    WebSocket is one long request). Counted per server process. Hand-written: the field's rate
    limiters count requests over time, not connections held open."""

    def __init__(self, app: WSGIApp, per_address: int, *, deadline: bool) -> None:
        self.app = app
        self.per_address = per_address
        self.deadline = deadline
        self.open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        address = environ.get("REMOTE_ADDR") or "-"
        with self._lock:
            if self.open[address] >= self.per_address:
                full = True
            else:
                full = False
                self.open[address] += 1
        if full:
            return _refuse(environ, start_response)
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            with self._lock:
                self.open[address] -= 1
                if self.open[address] <= 0:
                    del self.open[address]

        try:
            if self.deadline and not _is_websocket(environ):
                result = _with_deadline(self.app, environ, start_response)
            else:
                result = self.app(environ, start_response)
        except BaseException:
            release()
            raise
        return ClosingIterator(result, [release])


def _is_websocket(environ: dict[str, Any]) -> bool:
    return environ.get("HTTP_UPGRADE", "").lower() == "websocket"


def _uncompressed(app: WSGIApp) -> WSGIApp:
    """Drop the client's WebSocket extension offer, so that no connection is compressed.

    Browsers offer ``permessage-deflate`` and the WebSocket layer under Engine.IO accepts it:
    each connection then keeps a zlib compressor and decompressor for its whole life (about
    60 KiB more per idle hall display, double the cost of the connection) and deflates every
    frame separately, the same ``called`` once per display. Our messages are a few hundred
    bytes on a local network: compression saves nothing worth that. Without the offer the
    handshake simply answers with no extension (RFC 6455, 9.1)."""

    def app_without_extensions(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return app(environ, start_response)

    return app_without_extensions


def _with_deadline(app: WSGIApp, environ: dict[str, Any], start_response: Any) -> Any:
    import gevent

    with gevent.Timeout(REQUEST_DEADLINE_S):
        return app(environ, start_response)


def _refuse(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    english = "en" in environ.get("HTTP_ACCEPT_LANGUAGE", "")[:2]
    message = (
        "Too many connections from this address."
        if english
        else "Quá nhiều kết nối từ địa chỉ này."
    )
    body = json.dumps(
        {"error": {"code": "too_many_connections", "message": message}}, ensure_ascii=False
    ).encode()
    start_response(
        "429 Too Many Requests",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Retry-After", "5"),
            ("Connection", "close"),
        ],
    )
    return [body]


def guard(app: WSGIApp, *, trusted_proxies: int, per_address: int, gevent: bool) -> WSGIApp:
    """``app`` behind the guards, outermost first: the client address, then the cap, then no
    WebSocket compression."""
    capped: WSGIApp = ConnectionCap(_uncompressed(app), per_address, deadline=gevent)
    if trusted_proxies > 0:
        return ProxyFix(capped, x_for=trusted_proxies, x_proto=trusted_proxies)  # type: ignore[return-value]
    return capped
