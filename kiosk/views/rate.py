"""The counter's rating tablet (``/rate/<site>/<counter>``): a browser enrolled as that counter's
device. It waits idle; when the counter finishes a ticket it asks the citizen to rate the service
on the configured scale for a short while, then thanks them and goes back to idle."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from kiosk.device_cookie import device_here
from kiosk.domain.counters import counter_config
from kiosk.services import ctx
from kiosk.views.home import not_enrolled_page

bp = Blueprint("rate", __name__)


@bp.get("/rate/<site>/<int:counter>")
def tablet(site: str, counter: int) -> Any:
    app = ctx()
    site_cfg, counter_cfg = counter_config(app.config, site, counter)
    device = device_here(
        request, lambda d: (d.kind, d.site, d.counter) == ("counter", site, counter)
    )
    if device is None:
        return not_enrolled_page("counter", site_cfg, counter=counter_cfg)
    return render_template(
        "rate/tablet.html",
        device=device,
        site=site_cfg,
        counter=counter_cfg,
        rating=app.config.settings.rating,
        org=app.config.settings.organisation,
    )
