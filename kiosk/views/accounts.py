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
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from kiosk.auth import current_caller, principal_from_session, principal_from_token, sign_in
from kiosk.device_cookie import device_here, devices_here, forget, remember
from kiosk.domain import access, devices
from kiosk.domain.accounts import UserInfo
from kiosk.domain.errors import Conflict, InvalidInput
from kiosk.domain.tickets import Actor
from kiosk.services import ctx
from kiosk.web import csrf_token, lang, tr

bp = Blueprint("accounts", __name__)
HOME = {"admin": "/admin", "supervisor": "/counter/overview", "staff": "/counter"}


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
                page = render_template("errors/wrong_role.html", user=user, roles=roles)
                return page, 403
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
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        result, _ = sign_in(username, password, via="form", open_session=True)
        if result.user is not None:
            keep_lang = session.get("lang")
            session.clear()  # a fresh session: no fixation
            session.permanent = True
            session.update(uid=result.user.id, sid=result.session_id, role=result.user.role)
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
        with app.change() as tx:
            tx.take(
                access.sign_out(
                    tx.s, principal.user, session.get("sid"), request.remote_addr, app.clock.now()
                )
            )
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
    """Turn this browser into a device: ``?code=`` a link from ``motcua device link`` (single
    use, 24 h), or ``?token=`` the device's own bearer token. Either way the browser gets a
    token of its own in the device cookie; the secret in the address is never stored in it."""
    app = ctx()
    code, token = request.args.get("code", ""), request.args.get("token", "")
    try:
        if code:
            with app.db.transaction() as s:
                done = devices.enroll_with_link(s, app.clock.now(), code[:200], request.remote_addr)
        elif token and (owner := principal_from_token(token[:200])) and owner.device:
            actor = Actor(device_id=owner.device.id, role=owner.device.kind, address=_address())
            with app.db.transaction() as s:
                done = devices.enroll_browser(
                    s, app.config, app.clock.now(), owner.device.name, actor, via="token"
                )
        else:
            raise devices.EnrollmentRefused("unknown")
    except devices.EnrollmentRefused as exc:
        refused = exc.device_id
        held = device_here(request, lambda d: d.id == refused)
        if held is not None:  # this browser took the link before: a kiosk PC's start page
            return _private(redirect(DEVICE_HOME[held.kind](held)))
        return _private(_refused(exc.reason)), 403
    except (InvalidInput, Conflict) as exc:  # a printer, or a disabled device
        return _private(_refused("unusable", exc.en if lang() == "en" else exc.message)), 403
    return _enrolled(done)


@bp.post("/enroll/here")
@staff_page("admin")
def enroll_here() -> Any:
    """One click for a signed-in admin: this browser becomes the device named in the form."""
    app = ctx()
    actor = Actor(user_id=g.user.id, role=g.user.role, site=g.user.site, address=_address())
    with app.db.transaction() as s:
        done = devices.enroll_browser(
            s, app.config, app.clock.now(), (request.form.get("device") or "")[:64], actor
        )
    return _enrolled(done)


@bp.post("/enroll/forget")
def forget_device() -> Any:
    """This browser stops being one of its devices (the device's other browsers go on)."""
    resp = redirect("/")
    device_id = request.form.get("device", type=int)
    if device_id is not None:
        forget(resp, request, device_id)
    return resp


def _enrolled(done: devices.Enrollment) -> Any:
    resp = _private(redirect(DEVICE_HOME[done.device.kind](done.device)))
    remember(resp, request, done.token, done.device)
    return resp


def _refused(reason: str, detail: str | None = None) -> str:
    return render_template(
        "auth/enroll_failed.html",
        cfg=ctx().config,
        reason=reason,
        detail=detail,
        here=devices_here(request),
    )


def _private(resp: Any) -> Any:
    """The address carried a secret: never send it on as a referrer, never cache the answer."""
    resp = make_response(resp)
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _address() -> str | None:
    return request.remote_addr
