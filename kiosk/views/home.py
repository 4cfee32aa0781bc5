"""The landing page (every surface of the system, what this browser is, and for a signed-in
admin one click to turn this browser into a kiosk, display or rating tablet), and the page a
device surface shows to a browser that is not enrolled as that device."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from kiosk.auth import current_caller
from kiosk.config import Counter, Display, Site
from kiosk.device_cookie import devices_here
from kiosk.domain.access import list_devices
from kiosk.domain.accounts import UserInfo
from kiosk.models import Device
from kiosk.services import ctx

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> Any:
    app = ctx()
    user = _signed_in()
    by_site: dict[str, list[Device]] = {}
    if user is not None and user.role == "admin":
        with app.db.read() as s:
            for d in list_devices(s):
                if not d.disabled:
                    by_site.setdefault(d.site, []).append(d)
    held = [d for _, d in devices_here(request)]
    return render_template("web/index.html", cfg=app.config, user=user, devices=by_site, held=held)


@bp.get("/favicon.ico")
def favicon() -> Any:
    """Browsers and tools ask for it without reading the page's icon link."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


def not_enrolled_page(
    kind: str, site: Site, *, display: Display | None = None, counter: Counter | None = None
) -> tuple[str, int]:
    """403: this browser is not the device this page needs. The page says, in both languages,
    what the browser is, and the next step (for a signed-in admin: one click)."""
    user = _signed_in()
    candidates: list[Device] = []
    if user is not None and user.role == "admin":
        with ctx().db.read() as s:
            candidates = [
                d
                for d in list_devices(s)
                if d.kind == kind
                and d.site == site.code
                and not d.disabled
                and (display is None or d.display_id == display.id)
                and (counter is None or d.counter == counter.number)
            ]
    page = render_template(
        "web/not_enrolled.html",
        cfg=ctx().config,
        kind=kind,
        site=site,
        display=display,
        counter=counter,
        user=user,
        candidates=candidates,
        held=[d for _, d in devices_here(request)],
    )
    return page, 403


def _signed_in() -> UserInfo | None:
    caller = current_caller()
    return caller.user if caller is not None and caller.via == "session" else None
