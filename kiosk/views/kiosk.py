"""The citizen touch kiosk: ``/kiosk/<site>`` on an enrolled kiosk device, and the short clip
that reads the issued number aloud. The page talks to the API v1 with its device cookie."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, send_file

from display.announce import AnnouncementTemplate, clip_sequence
from display.audio import is_ticket_today
from display.voice import ClipMissing, VoiceError, assemble, generate_clips
from kiosk.catalogue import Catalogue, guide
from kiosk.config import Config, Service, Site
from kiosk.device_cookie import device_here
from kiosk.domain.clock import local
from kiosk.services import ctx
from kiosk.views.home import not_enrolled_page

bp = Blueprint("kiosk", __name__)

VOICE = AnnouncementTemplate(vi="Số thứ tự của công dân là {number}", en=None, chime=False)
_NUMBER = re.compile(r"^[A-Z][0-9]{3,4}$")
_voice_lock = threading.Lock()


def _site_or_404(code: str) -> Site:
    site = ctx().config.site(code)
    if site is None:
        abort(404)
    return site


@bp.get("/kiosk/<site>")
def kiosk_page(site: str) -> Any:
    site_cfg = _site_or_404(site)
    device = device_here(request, lambda d: d.kind == "kiosk" and d.site == site)
    if device is None:
        other = device_here(request, lambda d: d.kind == "kiosk")
        if other is not None:
            return redirect(f"/kiosk/{other.site}")
        return not_enrolled_page("kiosk", site_cfg)
    app = ctx()
    return render_template(
        "kiosk/kiosk.html",
        device=device,
        site=site_cfg,
        settings=app.config.settings,
        groups=field_groups(site_cfg.services),
        counters={s.code: counters_text(site_cfg, s) for s in site_cfg.services},
        procedures=service_procedures(site_cfg, app.catalogue),
        volunteer=volunteer_service(site_cfg),
        cutoff=cutoff_words(app.config),
        now=local(app.clock).isoformat(),
        tz=app.clock.tz.key,
        # What a refused citizen can do instead: read the guide, or file on the portal.
        guide_url=f"/guide?site={site_cfg.code}" if app.catalogue is not None else None,
    )


def field_groups(services: tuple[Service, ...]) -> list[tuple[str, list[Service]]]:
    """Services grouped by field, in configured order of each field's first service."""
    groups: dict[str, list[Service]] = {}
    for s in services:
        if s.enabled:  # a disabled service is not offered
            groups.setdefault(s.field, []).append(s)
    return list(groups.items())


def counters_text(site: Site, service: Service) -> tuple[str, str]:
    """The counters serving ``service`` in Vietnamese and English: ("Quầy 1, 2, 3",
    "Counters 1, 2, 3") when the names differ only in their last word."""
    counters = site.counters_serving(service.code)
    names = [c.name for c in counters]
    en = ("Counter " if len(counters) == 1 else "Counters ") + ", ".join(
        str(c.number) for c in counters
    )
    heads = {n.rsplit(" ", 1)[0] if " " in n else None for n in names}
    if len(names) > 1 and len(heads) == 1 and None not in heads:
        return f"{heads.pop()} " + ", ".join(n.rsplit(" ", 1)[1] for n in names), en
    return ", ".join(names), en


def service_procedures(site: Site, catalogue: Catalogue | None) -> dict[str, list[dict[str, str]]]:
    """Every catalogue procedure handled by each service (same counter group), in catalogue
    order (the most requested first): what the kiosk offers after a service is chosen, page by
    page. Empty when the site does not ask."""
    if catalogue is None or not site.kiosk_procedures:
        return {}
    out: dict[str, list[dict[str, str]]] = {}
    for service in site.services:
        found = [
            {"code": p.code, "vi": p.name_vi, "en": p.name_en}
            for p in catalogue.procedures
            if service.counter_group and p.counter_group == service.counter_group
        ]
        if found:
            out[service.code] = found
    return out


def volunteer_service(site: Site) -> Service | None:
    """What "call a volunteer" issues at a support point: its online-help service."""
    return guide.volunteer_service(site) if site.guide else None


def cutoff_words(cfg: Config) -> str:
    t = cfg.settings.same_day_cutoff
    return f"{t.hour} giờ" + (f" {t.minute:02d}" if t.minute else "")


@bp.get("/kiosk/<site>/voice/<number>.wav")
def number_aloud(site: str, number: str) -> Any:
    """The issued number said twice ("Số thứ tự của công dân là A, không, một, hai"). 404
    unless the site reads numbers aloud, 503 when the clips cannot be made."""
    site_cfg = _site_or_404(site)
    if not site_cfg.read_aloud or not _NUMBER.match(number):
        abort(404)
    if not is_ticket_today(number, site=site_cfg.code):
        abort(404)
    instance = Path(ctx().settings.instance)
    clips, cache = instance / "voice" / "clips", instance / "voice" / "kiosk-cache"
    sequence = clip_sequence(number, 0, VOICE)
    try:
        path = assemble(sequence, clips, cache)
    except ClipMissing:
        try:
            with _voice_lock:  # the phrase clip is made once, on first use
                generate_clips(clips, VOICE)
            path = assemble(sequence, clips, cache)
        except VoiceError:
            abort(503)
    return send_file(path, mimetype="audio/wav", max_age=86400)
