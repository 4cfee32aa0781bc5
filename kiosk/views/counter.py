"""The counter console (``/counter``) and the supervisor's hall view (``/counter/overview``).

The pages are shells: their scripts read the counter's board and the site overview from API v1
and re-read them when ``/live`` says the queue changed. The chosen counter is confirmed once per
session and remembered per device in a cookie, so the picker offers it first next time."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from kiosk.config import Site
from kiosk.domain.accounts import UserInfo
from kiosk.domain.supervision import overview
from kiosk.printing import printer_key
from kiosk.services import ctx
from kiosk.views.accounts import staff_page

bp = Blueprint("counter", __name__)
COUNTER_COOKIE = "motcua_counter"


def sites_of(user: UserInfo) -> list[Site]:
    """The sites a user works at: their own, or every site for a user bound to none."""
    sites = ctx().config.sites
    return [s for s in sites if user.site in (None, s.code)]


def _parse(value: Any) -> tuple[str, int] | None:
    site, _, number = str(value or "").partition(":")
    return (site, int(number)) if number.isdigit() else None


def _allowed(user: UserInfo, chosen: tuple[str, int] | None) -> tuple[Site, int] | None:
    if chosen is None:
        return None
    site = next((s for s in sites_of(user) if s.code == chosen[0]), None)
    if site is None or site.counter(chosen[1]) is None:
        return None
    return site, chosen[1]


@bp.get("/counter")
@staff_page()
def console() -> Any:
    user: UserInfo = g.user
    chosen = _allowed(user, _parse(session.get("counter")))
    if chosen is None or request.args.get("pick"):
        return _picker(user)
    site, number = chosen
    counter = site.counter(number)
    app = ctx()
    keys = (printer_key(app.config, app.settings, k.name) for k in site.kiosks)
    printers = sorted({k for k in keys if k})
    return render_template(
        "counter/console.html",
        nav="counter",
        site=site,
        counter=counter,
        printers=printers,
        groups=app.config.settings.priority.groups,
    )


def _picker(user: UserInfo) -> Any:
    app = ctx()
    remembered = _allowed(user, _parse(request.cookies.get(COUNTER_COOKIE)))
    with app.db.read() as s:
        boards = [overview(s, app.config, app.clock, site.code) for site in sites_of(user)]
    return render_template(
        "counter/pick.html",
        nav="counter",
        boards=boards,
        remembered=(remembered[0].code, remembered[1]) if remembered else None,
    )


@bp.post("/counter/choose")
@staff_page()
def choose() -> Any:
    chosen = _allowed(g.user, _parse(request.form.get("counter")))
    if chosen is None:
        abort(400)
    value = f"{chosen[0].code}:{chosen[1]}"
    session["counter"] = value
    resp = redirect(url_for("counter.console"))
    resp.set_cookie(
        COUNTER_COOKIE,
        value,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return resp


@bp.get("/counter/overview")
@staff_page("supervisor", "admin")
def supervise() -> Any:
    sites = sites_of(g.user)
    if not sites:
        abort(403)
    site = next((s for s in sites if s.code == request.args.get("site")), sites[0])
    return render_template(
        "counter/overview.html",
        nav="overview",
        site=site,
        sites=sites,
        groups=ctx().config.settings.priority.groups,
    )
