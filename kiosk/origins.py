"""Which web pages may open a Socket.IO connection: the server's own origin (as the browser
reached it, after ProxyFix), and the configured public URL's. A page elsewhere that tries to
connect with a signed-in staff member's or an enrolled display's cookies is refused by
Engine.IO's handshake (400). Clients that send no Origin (Python, print agents) are not
browsers and are not affected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_check(public_url: str | None) -> Callable[[str | None, dict[str, Any]], bool]:
    """Engine.IO's ``cors_allowed_origins`` callable (it passes the Origin and the environ)."""
    configured = {o for o in (origin_of(public_url or ""),) if o}

    def allowed(origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        if not origin:
            return True
        origin = origin.lower()
        if origin in configured:
            return True
        if environ is None:
            return False
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST") or ""
        return bool(host) and origin == f"{scheme}://{host}".lower()

    return allowed
