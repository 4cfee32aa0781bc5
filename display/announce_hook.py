"""Adds the spoken announcement to each ``called`` event before it is emitted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from display.audio import audio_url, call_text
from kiosk.config import Config


def decorate_call(
    cfg: Config | Callable[[], Config],
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``cfg`` may be a function giving the live configuration (it changes without restart)."""
    live = cfg if callable(cfg) else (lambda: cfg)

    def decorate(event: dict[str, Any]) -> dict[str, Any]:
        number, counter = event["number"], int(event["counter"])
        return {
            **event,
            "announcement": {
                "text": call_text(live(), number, counter),
                "audio_url": audio_url(number, counter),
            },
        }

    return decorate
