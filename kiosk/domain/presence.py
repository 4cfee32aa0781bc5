"""Display presence: which hall displays are connected, for the console's display alarms.

Each server process counts the ``/display`` sockets it holds per display (:class:`Presence`)
and writes what it knows to ``display_presence``: on connect, on the last disconnect, and every
:data:`HEARTBEAT_S` while connected. A display is fine while a process keeps refreshing it, or
for :data:`GRACE` after it went away (a server restart or a short network cut reconnects
well within that); otherwise it raises an alarm, as does one never seen at all.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.models import DisplayPresence
from kiosk.storage import upsert_presence

HEARTBEAT_S = 30
STALE = timedelta(seconds=3 * HEARTBEAT_S)  # connected, but no process has refreshed it
GRACE = timedelta(seconds=60)  # disconnected this long before it is an alarm


class Presence:
    """The ``/display`` sockets this process holds, counted per display id (thread-safe)."""

    def __init__(self) -> None:
        self._open: Counter[int] = Counter()
        self._lock = threading.Lock()

    def opened(self, display_id: int) -> None:
        with self._lock:
            self._open[display_id] += 1

    def closed(self, display_id: int) -> bool:
        """Count one socket gone; True when it was this process's last one for the display."""
        with self._lock:
            self._open[display_id] -= 1
            if self._open[display_id] > 0:
                return False
            del self._open[display_id]
            return True

    def connected(self) -> list[int]:
        with self._lock:
            return sorted(self._open)


def mark(s: Session, display_ids: Iterable[int], now: datetime, *, connected: bool) -> None:
    upsert_presence(
        s, [{"display_id": d, "seen_at": now, "connected": connected} for d in display_ids]
    )


def display_health(s: Session, cfg: Config, now: datetime) -> list[dict[str, Any]]:
    """Every configured display: ``ok``, whether it is ``connected`` and when it was last seen."""
    seen = {p.display_id: p for p in s.scalars(select(DisplayPresence))}
    out = []
    for site in cfg.sites:
        for d in site.displays:
            p = seen.get(d.id)
            if p is None:
                ok, connected, at = False, False, None
            else:
                age = now - p.seen_at
                ok = age <= (STALE if p.connected else GRACE)
                connected, at = p.connected and age <= STALE, p.seen_at
            out.append(
                {
                    "id": d.id,
                    "name": d.name,
                    "site": site.code,
                    "ok": ok,
                    "connected": connected,
                    "seen_at": at,
                }
            )
    return out
