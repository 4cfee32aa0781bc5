"""The application's services, built once per app and reached from views as ``ctx()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_socketio import SocketIO

from kiosk.config import Config
from kiosk.db import Database
from kiosk.domain.clock import Clock
from kiosk.domain.queue import Estimator
from kiosk.realtime import Publisher, Realtime
from kiosk.settings import Settings

if TYPE_CHECKING:
    from kiosk.auth import TokenCache
    from kiosk.domain.catalogue import Catalogue
    from kiosk.domain.presence import Presence


@dataclass
class Motcua:
    settings: Settings
    config: Config
    db: Database
    clock: Clock
    estimator: Estimator
    realtime: Realtime
    tokens: TokenCache
    presence: Presence
    catalogue: Catalogue | None = None  # None: the config folder has no procedures.yaml
    wake_printers: Callable[[], None] = lambda: None  # set when print workers start

    @property
    def publisher(self) -> Publisher:
        return self.realtime.publisher

    @property
    def socketio(self) -> SocketIO:
        return self.realtime.socketio

    def run(self, use_case: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``use_case(session, config, clock, *args)`` in one transaction, then publish
        its events. ``use_case`` returns ``(result, events)``."""
        with self.db.transaction() as s:
            result, events = use_case(s, self.config, self.clock, *args, **kwargs)
        self.publisher.publish(events)
        return result


def ctx() -> Motcua:
    return current_app.extensions["motcua"]  # type: ignore[no-any-return]
