"""Announcement audio: one WAV per (number, counter), assembled from clips and cached.

Clips live in ``<instance>/voice/clips``: ``motcua init-db`` generates the missing ones with
espeak-ng, and a site may drop recorded clips of a real voice there under the same names
(they are never overwritten).
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, request, send_file
from sqlalchemy import select

from display.announce import AnnouncementTemplate, announcement_text, clip_sequence
from display.voice import ClipMissing, VoiceError, assemble, generate_clips
from kiosk.config import Config
from kiosk.domain.clock import business_day
from kiosk.models import Ticket
from kiosk.services import ctx

bp = Blueprint("audio", __name__)
_NUMBER = re.compile(r"^[A-Z][0-9]{3,4}$")
_generate_lock = threading.Lock()


def template(cfg: Config) -> AnnouncementTemplate:
    a = cfg.settings.announcement
    return AnnouncementTemplate(vi=a.vi, en=a.en, repeat=a.repeat, english=a.english)


def voice_dirs(instance: Path) -> tuple[Path, Path]:
    return instance / "voice" / "clips", instance / "voice" / "cache"


def ensure_clips(cfg: Config, instance: Path) -> list[str]:
    """Generate the clips the configured template needs and that are missing."""
    clips, _ = voice_dirs(instance)
    with _generate_lock:
        return generate_clips(clips, template(cfg))


def audio_url(number: str, counter: int) -> str:
    return f"/audio/call/{number}/{counter}.wav"


def call_text(cfg: Config, number: str, counter: int) -> str:
    return announcement_text(number, counter, template(cfg), "vi")


def is_ticket_today(number: str, *, site: str | None = None, counter: int | None = None) -> bool:
    """Whether today has a ticket ``number`` (issued at ``site``, called to ``counter``).
    Audio is made for real tickets only: anyone may fetch it, and every new number costs an
    assembled file, so made-up numbers must not be able to churn the cache."""
    app = ctx()
    query = select(Ticket.id).where(
        Ticket.number == number, Ticket.business_day == business_day(app.clock)
    )
    if site is not None:
        query = query.where(Ticket.site == site)
    if counter is not None:
        query = query.where(Ticket.counter == counter)
    with app.db.read() as s:
        return s.scalar(query.limit(1)) is not None


@bp.get("/audio/call/<number>/<int:counter>.wav")
def call_audio(number: str, counter: int) -> Any:
    """The call's announcement; ``?short=1`` says it once, in Vietnamese only: a display reads
    a call that waited behind others that way, so that a burst of calls catches up."""
    if not _NUMBER.match(number) or not 1 <= counter <= 999:
        abort(404)
    if not is_ticket_today(number, counter=counter):
        abort(404)
    app = ctx()
    tpl = template(app.config)
    if request.args.get("short") == "1":
        tpl = replace(tpl, repeat=1, english=False)
    clips_dir, cache_dir = voice_dirs(app.settings.instance)
    sequence = clip_sequence(number, counter, tpl)
    try:
        path = assemble(sequence, clips_dir, cache_dir)
    except ClipMissing:
        try:
            ensure_clips(app.config, app.settings.instance)
            path = assemble(sequence, clips_dir, cache_dir)
        except VoiceError:
            abort(503)
    return send_file(path, mimetype="audio/wav", max_age=86400)
