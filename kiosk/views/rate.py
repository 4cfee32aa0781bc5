"""The counter's rating tablet (``/rate/<site>/<counter>``): a browser enrolled as that counter's
device. It waits idle; when the counter finishes a ticket it asks the citizen to rate the service
on the configured scale for a short while, then thanks them and goes back to idle."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from kiosk.auth import current_caller
from kiosk.domain.calling import counter_config
from kiosk.services import ctx

bp = Blueprint("rate", __name__)


@bp.get("/rate/<site>/<int:counter>")
def tablet(site: str, counter: int) -> Any:
    app = ctx()
    site_cfg, counter_cfg = counter_config(app.config, site, counter)
    caller = current_caller()
    device = caller.device if caller is not None else None
    if device is None or (device.kind, device.site, device.counter) != ("counter", site, counter):
        return render_template("rate/not_enrolled.html", site=site_cfg, counter=counter_cfg), 403
    return render_template(
        "rate/tablet.html",
        site=site_cfg,
        counter=counter_cfg,
        rating=app.config.settings.rating,
        org=app.config.settings.organisation,
    )
