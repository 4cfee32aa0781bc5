"""Announcement audio: one WAV per (number, counter), assembled from clips and cached.

Clips live in ``<instance>/voice/clips``: ``motcua init-db`` generates the missing ones with
espeak-ng, and a site may drop recorded clips of a real voice there under the same names
(they are never overwritten).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, send_file

from display.announce import AnnouncementTemplate, announcement_text, clip_sequence
from display.voice import ClipMissing, VoiceError, assemble, generate_clips
from kiosk.config import Config
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


@bp.get("/audio/call/<number>/<int:counter>.wav")
def call_audio(number: str, counter: int) -> Any:
    if not _NUMBER.match(number) or not 1 <= counter <= 999:
        abort(404)
    app = ctx()
    tpl = template(app.config)
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
