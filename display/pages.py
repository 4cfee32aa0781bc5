"""Display pages: the hall TV and the screen above one counter.

* ``/display/<id>`` shows the display's configured layout: ``hall`` (the default: now serving
  per counter, recent calls, waiting counts, notice line) or ``counter`` (a display that lists
  one counter shows its current number full screen);
* ``/display/<id>?counter=N`` shows the counter layout for counter N of that display, whatever
  the configured layout.

Only a browser enrolled as the display's device (see ``kiosk.device_cookie``) and staff of
its site may open it; anyone else gets a page saying what this browser is and how to enroll
it. The page is a shell: the board is filled by ``static/display/*.js`` from the ``state``
snapshot and the ``called`` events of the ``/display`` namespace.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, render_template, request

from kiosk.auth import current_caller
from kiosk.config import Config, Display, Site
from kiosk.device_cookie import device_here
from kiosk.domain.clock import local
from kiosk.services import ctx
from kiosk.views.home import not_enrolled_page
from kiosk.web import lang

bp = Blueprint("display_pages", __name__)

WATCHDOG_S = 60  # reload the page (once the server answers) after this long without a socket


def watcher(site: Site, display_id: int) -> tuple[bool, int | None]:
    """May this browser show the display, and as which enrolled device (its id, or None for
    a signed-in user of the display's site or of every site)?"""
    device = device_here(request, lambda d: d.kind == "display" and d.display_id == display_id)
    if device is not None:
        return True, device.id
    caller = current_caller()
    user = caller.user if caller is not None else None
    return user is not None and user.site in (None, site.code), None


def page_config(
    cfg: Config, site: Site, display: Display, counter: int | None, now: datetime, english: bool
) -> dict[str, Any]:
    """What the page's scripts need, embedded as JSON (no inline script under our CSP)."""
    layout = "counter" if counter is not None else "hall"
    volume = display.volume if display.volume is not None else (1.0 if layout == "hall" else 0.0)
    offset = now.utcoffset()
    return {
        "display": display.id,
        "site": site.code,
        "layout": layout,
        "counter": counter,
        "counters": [
            {"number": n, "name": c.name}
            for n in (display.counters if counter is None else (counter,))
            if (c := site.counter(n)) is not None
        ],
        "services": {
            s.code: {"prefix": s.prefix, "name": s.name, "name_en": s.name_en}
            for s in site.services
        },
        "recent": cfg.settings.calling.recent_calls_shown,
        "volume": volume,
        "quiet_hours": [_minutes(text) for text in cfg.settings.announcement.quiet_hours],
        "server_now_ms": int(now.timestamp() * 1000),
        "utc_offset_min": int(offset.total_seconds() // 60) if offset else 0,
        "english": english,
        "watchdog_s": WATCHDOG_S,
    }


def _minutes(text: str) -> list[int]:
    start, _, end = text.partition("-")
    h1, m1 = start.strip().split(":")
    h2, m2 = end.strip().split(":")
    return [int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)]


@bp.get("/display/<int:display_id>")
def show(display_id: int) -> Any:
    app = ctx()
    found = app.config.display(display_id)
    if found is None:
        abort(404)
    site, display = found
    allowed, device_id = watcher(site, display_id)
    if not allowed:
        return not_enrolled_page("display", site, display=display)
    counter = request.args.get("counter", type=int)
    if counter is None and display.layout == "counter":
        counter = display.counters[0]
    if counter is not None and counter not in display.counters:
        abort(404)
    english = lang() == "en" or app.config.settings.announcement.english
    page = page_config(app.config, site, display, counter, local(app.clock), english)
    page["device"] = device_id
    return render_template(
        "display/counter.html" if counter is not None else "display/hall.html",
        page=page,
        site=site,
        display=display,
        org=app.config.settings.organisation,
        english=english,
        counter=site.counter(counter) if counter is not None else None,
    )
