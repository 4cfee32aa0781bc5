"""What stands between the network and the application, as WSGI middleware: the real client
address behind trusted reverse proxies, a cap on connections per client address, a time
limit on receiving a request's body, and WebSockets without per-message compression.

gunicorn itself limits the request line and headers (size and count) and closes a connection
whose headers have not arrived within ``kiosk.server.HEADER_TIMEOUT_S``; Flask refuses bodies
over ``MAX_CONTENT_LENGTH`` (413).
"""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import ClosingIterator

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A request's body must have arrived within this many seconds: a client that trickles it, or
# announces more than it sends, holds its greenlet no longer and is answered 408.
BODY_DEADLINE_S = 60
# Bodies up to this size are received by the guard before the application runs (what the
# application accepts at most: Flask's MAX_CONTENT_LENGTH, Engine.IO's max_http_buffer_size).
# A larger Content-Length is left to the application, which refuses it without reading it.
MAX_BODY_BYTES = 1 << 20


class ConnectionCap:
    """Refuse a client address more than ``per_address`` requests in progress at once (an open
    WebSocket is one long request). Counted per server process. Hand-written: the field's rate
    limiters count requests over time, not connections held open."""

    def __init__(self, app: WSGIApp, per_address: int, *, body_deadline_s: float | None) -> None:
        self.app = app
        self.per_address = per_address
        self.body_deadline_s = body_deadline_s
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
            return _refuse(environ, start_response, _TOO_MANY)
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
            if self.body_deadline_s is not None and not _received(environ, self.body_deadline_s):
                result = _refuse(environ, start_response, _TOO_SLOW)
            else:
                result = self.app(environ, start_response)
        except BaseException:
            release()
            raise
        return ClosingIterator(result, [release])


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


def _received(environ: dict[str, Any], deadline_s: float) -> bool:
    """Receive the request's body (if it has one the application would accept) before the
    application runs, within ``deadline_s``; the application then reads it from memory, as
    behind a buffering proxy. False when the body did not arrive in time.

    Why here: a client that sends its body slowly would otherwise block the application in
    the middle of its work (Flask's form and JSON parsing, Engine.IO's long-polling), where
    a time limit can only break the request (a 500 and a traceback) rather than answer it."""
    import gevent

    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked:
        expected = MAX_BODY_BYTES + 1  # past the limit: the application answers 413
    else:
        try:
            expected = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return True  # the application answers 400
        if not 0 < expected <= MAX_BODY_BYTES:
            return True  # nothing to read, or too large: refused unread
    stream = environ["wsgi.input"]
    chunks: list[bytes] = []
    got = 0
    with gevent.Timeout(deadline_s, False):
        while got < expected:
            chunk = stream.read(min(65536, expected - got))
            if not chunk:  # the end of a chunked body, or the client went away
                break
            chunks.append(chunk)
            got += len(chunk)
        environ["wsgi.input"] = io.BytesIO(b"".join(chunks))
        if chunked:  # now of known length (over MAX_BODY_BYTES: refused unread)
            environ["CONTENT_LENGTH"] = str(got)
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return True
    return False


class _Refusal(NamedTuple):
    status: str
    code: str
    vi: str
    en: str
    retry_after_s: int | None


_TOO_MANY = _Refusal(
    "429 Too Many Requests",
    "too_many_connections",
    "Quá nhiều kết nối từ địa chỉ này.",
    "Too many connections from this address.",
    5,
)
_TOO_SLOW = _Refusal(
    "408 Request Timeout",
    "request_timeout",
    "Nội dung gửi lên không đến kịp, xin gửi lại.",
    "The request's body did not arrive in time; please send it again.",
    None,
)


def _refuse(
    environ: dict[str, Any], start_response: Callable[..., Any], refusal: _Refusal
) -> list[bytes]:
    """Answer without the application, with the API's error body. ``Connection: close`` is
    for servers that honour it; gunicorn drops an application's hop-by-hop headers and closes
    the connection once it has sat idle for its keep-alive time (kiosk.server), the rest of an
    unfinished body included."""
    english = "en" in environ.get("HTTP_ACCEPT_LANGUAGE", "")[:2]
    body = json.dumps(
        {"error": {"code": refusal.code, "message": refusal.en if english else refusal.vi}},
        ensure_ascii=False,
    ).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if refusal.retry_after_s is not None:
        headers.append(("Retry-After", str(refusal.retry_after_s)))
    start_response(refusal.status, [*headers, ("Connection", "close")])
    return [body]


def guard(app: WSGIApp, *, trusted_proxies: int, per_address: int, gevent: bool) -> WSGIApp:
    """``app`` behind the guards, outermost first: the client address, then the cap, then no
    WebSocket compression."""
    capped: WSGIApp = ConnectionCap(
        _uncompressed(app), per_address, body_deadline_s=BODY_DEADLINE_S if gevent else None
    )
    if trusted_proxies > 0:
        return ProxyFix(capped, x_for=trusted_proxies, x_proto=trusted_proxies)  # type: ignore[return-value]
    return capped
