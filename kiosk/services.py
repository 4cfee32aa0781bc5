"""The application's services and the one path every use case takes.

:func:`build` is the composition root for every entry point (the web app, the command line,
background work): settings, configuration, database, clock, catalogue. The web app adds its
Socket.IO side (``create_app``). Views reach the services as ``ctx()``.

:meth:`Services.change` is how a change happens: one transaction in which use cases hand
their events to the change, then the commit, then those events are published and their
after-commit effects run (print workers woken, credentials forgotten). :meth:`Services.run` is
the one-call form. The domain returns events; it never calls caches or publishers::

    with app.change() as tx:
        ticket = tx.take(calling.call_next(tx.s, app.config, app.clock, actor, site, counter))
        body = ticket_body(tx.s, app, ticket)     # presented inside the transaction
    # committed and published here
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app

from kiosk.catalogue import Catalogue, CatalogueError, load_procedures
from kiosk.config import Config, ConfigError, load_config
from kiosk.db import Database, mark_auth_changed
from kiosk.domain.clock import Clock, SystemClock
from kiosk.domain.events import ConfigChanged, CredentialsRevoked, PrintQueued, TicketIssued
from kiosk.settings import Settings

if TYPE_CHECKING:
    from flask_socketio import SocketIO
    from sqlalchemy.orm import Session

    from kiosk.auth import TokenCache
    from kiosk.domain.presence import Presence
    from kiosk.domain.queue import Estimator
    from kiosk.realtime import Publisher, Realtime

T = TypeVar("T")
log = logging.getLogger(__name__)
# While the change notices are not known (PostgreSQL listener reconnecting), the version is
# read at most this often.
UNKNOWN_GENERATION_RECHECK_S = 1.0


class SchemaError(Exception):
    pass


@dataclass
class Change:
    """One open change: its session and the events its use cases returned so far."""

    s: Session
    events: list[Any] = field(default_factory=list)

    def take(self, outcome: tuple[T, Iterable[Any]]) -> T:
        """Keep the events of a use case's ``(result, events)`` and return its result."""
        result, events = outcome
        self.events.extend(events)
        return result

    def add(self, events: Iterable[Any]) -> None:
        """Keep events a use case returned on their own."""
        self.events.extend(events)


@dataclass
class Services:
    settings: Settings
    config: Config
    db: Database
    clock: Clock
    catalogue: Catalogue | None = None  # None: the config folder has no procedures.yaml
    # The web app's (None on the command line):
    estimator: Estimator | None = None
    realtime: Realtime | None = None
    tokens: TokenCache | None = None
    presence: Presence | None = None
    wake_printers: Callable[[], None] = lambda: None  # set when print workers start
    # The live configuration's version (None: built from the files, the database has none).
    config_version: int | None = None
    _seen_generation: Hashable | None = field(default=None, repr=False)
    _checked_at: float = field(default=0.0, repr=False)
    _procedures_text: str | None = field(default=None, repr=False)
    _refresh_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refresh_config(self, force: bool = False) -> None:
        """Take up the live configuration if the database holds a newer version than the one
        this process built. Cheap when nothing changed: a change moves the generation every
        process watches (:meth:`Database.auth_generation`), so the version is read only then.
        A database that is not migrated, or a version that no longer builds, keeps what is
        loaded (logged)."""
        generation = self.db.auth_generation()
        if not force:
            if generation is not None and generation == self._seen_generation:
                return
            if generation is None and time.monotonic() - self._checked_at < (
                UNKNOWN_GENERATION_RECHECK_S
            ):
                return
        from kiosk.domain import configuration

        with self._refresh_lock:
            self._checked_at = time.monotonic()
            try:
                with self.db.read() as s:
                    version = configuration.live_version(s)
                    docs = (
                        configuration.read_documents(s)
                        if version is not None and version != self.config_version
                        else None
                    )
            except Exception as exc:  # no such table yet: the files' configuration stays
                log.debug("live configuration not readable: %s", exc)
                return
            if docs is not None:
                self._take(version, docs)
            self._seen_generation = generation

    def _take(self, version: int | None, docs: dict[str, str]) -> None:
        from kiosk.catalogue.loader import catalogue_from_text
        from kiosk.config import PROCEDURES_FILE, config_from_documents

        folder = self.settings.config_dir
        try:
            config = config_from_documents(docs, folder)
            text = docs.get(PROCEDURES_FILE)
            catalogue = self.catalogue
            if text != self._procedures_text:  # the catalogue is big: rebuilt only on change
                catalogue = catalogue_from_text(text, folder / PROCEDURES_FILE) if text else None
        except (ConfigError, CatalogueError) as exc:
            log.error("configuration version %s does not build: %s", version, exc)
            return
        wording_changed = config.settings.announcement != self.config.settings.announcement
        first = self.config_version is None  # the files' configuration, as just stored
        self.config, self.catalogue = config, catalogue
        if self.estimator is not None:
            self.estimator.cfg = config
        self._procedures_text, self.config_version = text, version
        if self.realtime is not None and not first:
            self.realtime.config_changed(version)
            if wording_changed:  # the announcement's clips are made from its wording
                self.realtime.socketio.start_background_task(self._make_clips, config)

    def _make_clips(self, config: Config) -> None:
        from display.audio import ensure_clips

        try:
            ensure_clips(config, self.settings.instance)
        except Exception as exc:  # no espeak-ng: announcements stay silent, as at init-db
            log.warning("announcement clips not generated: %s", exc)

    @contextmanager
    def change(self, *, single_statement: bool = False) -> Iterator[Change]:
        """One transaction; once it has committed, the events handed to the change are
        published and their effects run. Nothing is published if the block raises. The live
        configuration is taken up first if another process changed it. ``single_statement``:
        the block writes with one statement (see :meth:`Database.transaction`)."""
        self.refresh_config()
        with self.db.transaction(single_statement=single_statement) as s:
            tx = Change(s)
            yield tx
            if any(isinstance(e, CredentialsRevoked | ConfigChanged) for e in tx.events):
                # Moves the generation every process watches: on commit they forget cached
                # credentials and take up a new configuration version.
                mark_auth_changed(s)
        self.after_commit(tx.events)

    def run(self, use_case: Callable[..., tuple[T, Iterable[Any]]], *args: Any, **kwargs: Any) -> T:
        """Run ``use_case(session, config, clock, *args, **kwargs)``, which returns
        ``(result, events)``, as one change (see :meth:`change`). Returns the result."""
        with self.change() as tx:
            return tx.take(use_case(tx.s, self.config, self.clock, *args, **kwargs))

    def after_commit(self, events: Iterable[Any]) -> None:
        """Publish committed events and run their effects."""
        events = list(events)
        if any(isinstance(e, ConfigChanged) for e in events):
            self.refresh_config(force=True)  # this process answers with the new version
        if self.realtime is not None:
            self.realtime.publisher.publish(events)
        if any(
            isinstance(e, PrintQueued) or (isinstance(e, TicketIssued) and e.printer)
            for e in events
        ):
            self.wake_printers()

    # The web app's shortcuts.
    @property
    def publisher(self) -> Publisher:
        assert self.realtime is not None
        return self.realtime.publisher

    @property
    def socketio(self) -> SocketIO:
        assert self.realtime is not None
        return self.realtime.socketio

    def require_schema(self) -> None:
        """Raise SchemaError unless the database is migrated to head."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        from kiosk.dbsetup import alembic_config

        head = ScriptDirectory.from_config(
            alembic_config(self.settings.database_url)
        ).get_current_head()
        try:
            with self.db.engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
        except Exception as exc:
            raise SchemaError(f"cannot open the database: {exc}") from None
        if current != head:
            raise SchemaError("the database schema is not up to date: run 'motcua init-db' first")


def build(clock: Clock | None = None, **overrides: Any) -> Services:
    """Settings from the environment (``overrides`` win), the configuration folder, the
    database and the clock. Raises SettingsError or ConfigError with one line."""
    settings = Settings.from_env(**overrides)
    config = load_config(settings.config_dir)
    try:
        catalogue = load_procedures(settings.config_dir)
    except CatalogueError as exc:
        raise ConfigError(str(exc)) from None
    app = Services(
        settings,
        config,
        Database(settings.database_url),
        clock or SystemClock(settings.timezone),
        catalogue,
    )
    app._procedures_text = _file_text(settings.config_dir)
    app.refresh_config()  # after the first init-db, the configuration lives in the database
    return app


def _file_text(folder: Any) -> str | None:
    from kiosk.config import PROCEDURES_FILE

    try:
        return (folder / PROCEDURES_FILE).read_text(encoding="utf-8")  # type: ignore[no-any-return]
    except OSError:
        return None


def ctx() -> Services:
    """The current app's services (inside a request or an app context)."""
    return current_app.extensions["motcua"]  # type: ignore[no-any-return]


__all__ = ["Change", "SchemaError", "Services", "build", "ctx"]
