"""The phone tracking page ``/t/<code>`` (the QR on the ticket) and that QR code as an image.

Whoever holds the code sees the ticket's public status (the same body as
``GET /api/v1/track/<code>``), follows it live and may rate the visit once it is done.
"""

from __future__ import annotations

from typing import Any

import qrcode
import qrcode.constants
from flask import Blueprint, Response, render_template
from qrcode.image.svg import SvgPathFillImage

from kiosk.api.present import base_url
from kiosk.api.tickets import find_by_code, track
from kiosk.domain.errors import NotFound
from kiosk.services import ctx

bp = Blueprint("track", __name__)


@bp.get("/t/<code>")
def track_page(code: str) -> Any:
    try:
        status = track(code=code).get_json()
    except NotFound:
        return render_template("track/not_found.html"), 404
    rating = ctx().config.settings.rating
    labels = sorted(rating.labels.items(), reverse=True)  # best first
    return render_template("track/track.html", code=code, t=status, rating=rating, labels=labels)


@bp.get("/t/<code>/qr.svg")
def track_qr(code: str) -> Any:
    """The tracking URL of an existing ticket as a QR code (404 for an unknown code)."""
    app = ctx()
    with app.db.read() as s:
        find_by_code(s, code)
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
        image_factory=SvgPathFillImage,
    )
    qr.add_data(f"{base_url(app)}/t/{code}")
    svg = qr.make_image().to_string(encoding="unicode")
    return Response(
        svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"}
    )
