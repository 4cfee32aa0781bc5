"""The online-submission guide ``/guide``, its offline bundle and service worker, and the QR
codes it shows.

The page is one screen set driven by ``static/guide/guide.js``. It loads the catalogue bundle
(``/guide/catalogue.json``) once and then searches, shows procedures, runs the wizard and
computes fees in the browser, so a citizen can go on when the link to the server drops; the
service worker (``/guide-sw.js``, scope ``/guide``) keeps the page, its scripts, the bundle and
the QR codes for a reload while offline. It keeps nothing about the citizen. Each page load
starts a new guide session (the anti-hoarding rule of hall tickets counts per session);
"Kết thúc" and inactivity reload it from scratch.

QR codes are drawn here only for our own known targets: a catalogue procedure's portal page,
the portal's dossier lookup page and its home page. A dossier code the citizen types never
reaches the server: the lookup page takes it (with a captcha) on the citizen's phone.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import qrcode
import qrcode.constants
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    session,
)

from kiosk.api.guide import GUIDE_SESSION, HALL_TICKET_USED
from kiosk.auth import current_caller
from kiosk.catalogue import Catalogue, guide
from kiosk.catalogue.bundle import guide_bundle
from kiosk.catalogue.links import (
    DOSSIER_CODE_MAX_LENGTH,
    code_url,
    lookup_url,
    portal_home_url,
    procedure_url,
)
from kiosk.catalogue.review import unresolved_suggestions
from kiosk.config import Site
from kiosk.domain import guide_usage
from kiosk.domain.clock import business_day
from kiosk.printing import printer_key
from kiosk.services import ctx
from kiosk.web import lang

bp = Blueprint("guide", __name__)
HOME_COUNT = 6
POPULAR_DAYS = 30
# The scripts and styles the service worker keeps; their content decides its version.
SHELL = (
    "css/theme.css",
    "js/motcua.js",
    "guide/guide.css",
    "guide/engine.js",
    "guide/finder.js",
    "guide/offline.js",
    "guide/dom.js",
    "guide/services.js",
    "guide/guide.js",
    "guide/keyboard.js",
    "vendor/minisearch.js",
    "vendor/idb-keyval.js",
    "vendor/fonts/be-vietnam-pro/font.css",
)


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


def _kiosk_site() -> tuple[Any, str | None]:
    caller = current_caller()
    device = caller.device if caller is not None else None
    kiosk = device if device is not None and device.kind == "kiosk" else None
    return kiosk, kiosk.site if kiosk else None


@bp.get("/guide")
def guide_page() -> Any:
    app = ctx()
    kiosk, kiosk_site = _kiosk_site()
    site = _site(request.args.get("site"), kiosk_site)
    # ?shell=1 is the copy the service worker keeps for offline reloads: it must not start a
    # new guide session (that would reset the one-hall-ticket-per-session rule).
    if request.args.get("shell") != "1":
        session[GUIDE_SESSION] = secrets.token_urlsafe(12)
        session.pop(HALL_TICKET_USED, None)
    cat = app.catalogue
    home: list[Any] = []
    if cat is not None:
        since = business_day(app.clock) - timedelta(days=POPULAR_DAYS)
        with app.db.read() as s:
            viewed = guide_usage.popular(s, site.code, since, HOME_COUNT)
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
        "tz": app.clock.tz.key,
        "bundle": f"/guide/catalogue.json?site={site.code}",
        "shell": f"/guide?site={site.code}&shell=1",
    }
    return render_template(
        "guide/guide.html",
        site=site,
        org=settings.organisation,
        catalogue=cat,
        fields=[(name, count, cat.field_name(name).en) for name, count in guide.fields(cat)]
        if cat is not None
        else [],
        home=home,
        volunteer=volunteer,
        data=data,
        portal_host=urlsplit(lookup_url(cat)).netloc if cat is not None else None,
    )


@bp.get("/guide/catalogue.json")
def catalogue_bundle() -> Any:
    """Everything the page needs to work offline (see `kiosk.catalogue.bundle`). Conditional:
    a page that already holds this version gets 304, which doubles as its link check."""
    app = ctx()
    cat = _catalogue_or_404()
    _, kiosk_site = _kiosk_site()
    site = _site(request.args.get("site"), kiosk_site)
    body = guide_bundle(cat, app.config, site.code, today=business_day(app.clock))
    resp = jsonify(body)
    resp.set_etag(body["version"])
    resp.cache_control.no_cache = True
    return resp.make_conditional(request)


@lru_cache(maxsize=1)
def _worker_script(static_folder: str) -> tuple[str, str]:
    base = Path(static_folder)
    digest = hashlib.sha256()
    for name in SHELL:
        path = base / name
        digest.update(path.read_bytes() if path.exists() else name.encode())
    version = digest.hexdigest()[:12]
    source = (base / "guide" / "sw.js").read_text(encoding="utf-8")
    shell = json.dumps([f"/static/{name}" for name in SHELL])
    return version, source.replace("__VERSION__", version).replace("__SHELL__", shell)


@bp.get("/guide-sw.js")
def service_worker() -> Any:
    """The guide's service worker, served from the site root so that its scope can be
    ``/guide``; its version changes with the page's scripts and styles."""
    folder = current_app.static_folder
    assert folder is not None
    _, source = _worker_script(folder)
    resp = Response(source, mimetype="text/javascript")
    resp.cache_control.no_cache = True
    return resp


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


def _catalogue_or_404() -> Catalogue:
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
    return _png(portal_home_url(_catalogue_or_404()))


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
    return _png(code_url(cat, code))
