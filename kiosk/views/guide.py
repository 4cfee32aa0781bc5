"""The online-submission guide ``/guide`` and the QR codes it shows.

The page is one screen set driven by ``static/guide/guide.js`` over the procedures API; it keeps
nothing about the citizen. Each page load starts a new guide session (the anti-hoarding rule of
hall tickets counts per session); "Kết thúc" and inactivity reload it from scratch.

QR codes are drawn here only for our own known targets: a catalogue procedure's portal page,
the portal's dossier lookup page and its home page. A dossier code the citizen types never
reaches the server: the lookup page takes it (with a captcha) on the citizen's phone.
"""

from __future__ import annotations

import io
import secrets
from datetime import timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import qrcode
import qrcode.constants
from flask import Blueprint, Response, abort, render_template, request, session

from kiosk.api.procedures import GUIDE_SESSION, HALL_TICKET_USED
from kiosk.auth import current_caller
from kiosk.config import Site
from kiosk.domain import guide
from kiosk.domain.catalogue import (
    DOSSIER_CODE_MAX_LENGTH,
    fields,
    lookup_url,
    procedure_url,
    unresolved_suggestions,
)
from kiosk.domain.clock import business_day
from kiosk.printing import printer_key
from kiosk.services import ctx
from kiosk.web import lang

bp = Blueprint("guide", __name__)
HOME_COUNT = 6
POPULAR_DAYS = 30


def _site(code: str | None, kiosk_site: str | None) -> Site:
    """The enrolled kiosk's site, else ``?site=``, else the first site with a guide."""
    cfg = ctx().config
    if kiosk_site is not None:
        found = cfg.site(kiosk_site)
    elif code:
        found = cfg.site(code)
        if found is None:
            abort(404)
    else:
        found = next((s for s in cfg.sites if s.guide), cfg.sites[0])
    assert found is not None
    return found


@bp.get("/guide")
def guide_page() -> Any:
    app = ctx()
    caller = current_caller()
    device = caller.device if caller is not None else None
    kiosk = device if device is not None and device.kind == "kiosk" else None
    site = _site(request.args.get("site"), kiosk.site if kiosk else None)
    session[GUIDE_SESSION] = secrets.token_urlsafe(12)
    session.pop(HALL_TICKET_USED, None)
    cat = app.catalogue
    home: list[Any] = []
    if cat is not None:
        since = business_day(app.clock) - timedelta(days=POPULAR_DAYS)
        with app.db.read() as s:
            viewed = guide.popular(s, site.code, since, HOME_COUNT)
        home = guide.home_procedures(cat, viewed, HOME_COUNT)
    volunteer = guide.volunteer_service(site) if kiosk else None
    settings = app.config.settings
    data = {
        "site": site.code,
        "lang": lang(),
        "kiosk": kiosk is not None,
        "printer": bool(kiosk and printer_key(app.config, app.settings, kiosk.name)),
        "volunteer": volunteer.code if volunteer else None,
        "idleS": settings.kiosk.guide_idle_s,
        "codeMax": DOSSIER_CODE_MAX_LENGTH,
        "kioskHome": f"/kiosk/{kiosk.site}" if kiosk else None,
        "cutoff": settings.same_day_cutoff.strftime("%H:%M"),
    }
    return render_template(
        "guide/guide.html",
        site=site,
        org=settings.organisation,
        catalogue=cat,
        fields=fields(cat) if cat is not None else [],
        home=home,
        volunteer=volunteer,
        data=data,
        portal_host=urlsplit(lookup_url(cat)).netloc if cat is not None else None,
    )


@lru_cache(maxsize=256)
def _qr_png(url: str) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=12, border=2)
    code.add_data(url)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buf)
    return buf.getvalue()


def _png(url: str) -> Response:
    resp = Response(_qr_png(url), mimetype="image/png")
    resp.cache_control.max_age = 3600
    return resp


def _catalogue_or_404() -> Any:
    cat = ctx().catalogue
    if cat is None:
        abort(404)
    return cat


@bp.get("/guide/qr/lookup.png")
def lookup_qr() -> Any:
    """The portal's dossier lookup page (the citizen types the code there, on the phone)."""
    return _png(lookup_url(_catalogue_or_404()))


@bp.get("/guide/qr/portal.png")
def portal_qr() -> Any:
    """The portal's home page, derived from the lookup URL's origin."""
    parts = urlsplit(lookup_url(_catalogue_or_404()))
    return _png(f"{parts.scheme}://{parts.netloc}/")


@bp.get("/guide/qr/<code>.png")
def procedure_qr(code: str) -> Any:
    """The portal page of a catalogue procedure, or of a procedure the wizard suggests that is
    not in the catalogue; 404 for any other code."""
    cat = _catalogue_or_404()
    procedure = cat.get(code)
    if procedure is not None:
        return _png(procedure_url(cat, procedure))
    if code not in {suggested for _, _, suggested in unresolved_suggestions(cat)}:
        abort(404)
    return _png(guide.code_url(cat, code))
