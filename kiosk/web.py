"""What every page shares: language choice, CSRF protection, security headers."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, abort, g, request, session
from flask.sessions import SecureCookieSessionInterface

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"


def lang() -> str:
    """``vi`` unless ``?lang=en`` (remembered in the session) asks for English."""
    if "lang" in g:
        return g.lang  # type: ignore[no-any-return]
    wanted = request.args.get("lang")
    if wanted in ("vi", "en"):
        session["lang"] = wanted
    g.lang = session.get("lang", "vi")
    return g.lang  # type: ignore[no-any-return]


def tr(vi: str, en: str) -> str:
    """The Vietnamese or English text, per the page's language."""
    return en if lang() == "en" else vi


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token  # type: ignore[no-any-return]


def _check_csrf() -> None:
    """Cookie-authenticated writes (staff session, enrolled device) must prove they come from
    our own pages: the session's token in a header or a form field. Bearer-token API clients
    are not exposed to CSRF and skip this."""
    if request.method in SAFE_METHODS or "HTTP_AUTHORIZATION" in request.environ:
        return  # (a page cannot make a browser add an Authorization header cross-site)
    from kiosk.auth import DEVICE_COOKIE

    cookie_auth = session.get("uid") is not None or DEVICE_COOKIE in request.cookies
    page_form = not request.path.startswith(("/api/", "/socket.io"))
    if not (cookie_auth or page_form):
        return  # no ambient credential to abuse: the API answers 401 or serves the public
    sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token")
    expected = session.get("csrf")
    if not expected or not sent or not secrets.compare_digest(sent, expected):
        abort(400, description="csrf")


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions with the signing serializer built once per key rather
    than on every request (most API calls carry no session cookie at all)."""

    _built: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self._built
        if built is None or built[0] != keys:
            built = self._built = (keys, super().get_signing_serializer(app))
        return built[1]


def init_app(app: Flask) -> None:
    from kiosk import views

    app.session_interface = _CookieSessions()
    app.before_request(_check_csrf)
    app.jinja_env.globals.update(tr=tr, lang=lang, csrf_token=csrf_token)

    @app.after_request
    def _headers(resp: Any) -> Any:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if resp.headers.get("Content-Type", "").startswith("text/html"):
            resp.headers.setdefault("X-Frame-Options", "DENY")
            resp.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self' ws: wss:; "
                "frame-ancestors 'none'",
            )
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    views.init_app(app)
