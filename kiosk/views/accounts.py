"""Staff login and logout, device enrollment (a browser becomes a kiosk, display or rating
tablet by opening its enrollment link once), and :func:`staff_page`, the guard of staff pages.

Every sign-in, failed sign-in, sign-out and enrollment is written to the audit log."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from kiosk.auth import DEVICE_COOKIE, current_caller, principal_from_session, principal_from_token
from kiosk.domain import access
from kiosk.domain.accounts import UserInfo
from kiosk.services import ctx
from kiosk.web import csrf_token, tr

bp = Blueprint("accounts", __name__)
DEVICE_COOKIE_AGE = 10 * 365 * 24 * 3600
HOME = {"admin": "/admin", "supervisor": "/counter", "staff": "/counter"}


def staff_page(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Guard a page: a signed-in user (session) with one of ``roles`` (any role if none given).
    Anyone else is sent to ``/login?next=<this page>``; a user of another role gets 403.
    The view finds the user in ``g.user``."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            caller = current_caller()
            user = caller.user if caller is not None and caller.via == "session" else None
            if user is None:
                target = request.full_path if request.query_string else request.path
                return redirect(f"{url_for('accounts.login')}?next={quote(target)}")
            if roles and user.role not in roles:
                abort(403)
            g.user = user
            return view(**kwargs)

        return wrapper

    return decorate


def _safe_next(target: str | None, user: UserInfo) -> str:
    """Only local paths: never redirect a login to another site."""
    home = HOME.get(user.role, "/counter")
    if not target:
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return home
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    username = ""
    if request.method == "POST":
        app = ctx()
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        address = request.remote_addr or "?"
        with app.db.transaction() as s:
            result = access.sign_in(s, username, password, address, app.clock.now())
        if result.user is not None:
            keep_lang = session.get("lang")
            session.clear()  # a fresh session: no fixation
            session.permanent = True
            session.update(uid=result.user.id, epoch=result.user.epoch, role=result.user.role)
            if keep_lang:
                session["lang"] = keep_lang
            csrf_token()
            return redirect(_safe_next(request.args.get("next"), result.user))
        if result.outcome == "throttled":
            error = tr(
                "Đăng nhập sai quá nhiều lần. Xin thử lại sau 15 phút.",
                "Too many failed attempts. Try again in 15 minutes.",
            )
            status = 429
        else:
            error = tr("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password.")
            status = 401
    signed_in = principal_from_session()
    return render_template(
        "auth/login.html",
        error=error,
        username=username,
        org=ctx().config.settings.organisation,
        signed_in=signed_in.user if signed_in else None,
    ), status


@bp.post("/logout")
def logout() -> Any:
    principal = principal_from_session()
    if principal is not None and principal.user is not None:
        app = ctx()
        with app.db.transaction() as s:
            access.sign_out(s, principal.user, request.remote_addr, app.clock.now())
    keep_lang = session.get("lang")
    session.clear()
    if keep_lang:
        session["lang"] = keep_lang
    return redirect(url_for("accounts.login"))


DEVICE_HOME = {
    "kiosk": lambda d: f"/kiosk/{d.site}",
    "display": lambda d: f"/display/{d.display_id}",
    "counter": lambda d: f"/rate/{d.site}/{d.counter}",
    "printer": lambda d: "/",
}


@bp.get("/enroll")
def enroll() -> Any:
    token = request.args.get("token", "")
    principal = principal_from_token(token) if token else None
    if principal is None or principal.device is None:
        return render_template("auth/enroll_failed.html"), 400
    device = principal.device
    app = ctx()
    with app.db.transaction() as s:
        access.enrolled(s, device, request.remote_addr, app.clock.now())
    resp = redirect(DEVICE_HOME[device.kind](device))
    resp.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=DEVICE_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
        path="/",
    )
    return resp
