"""What every entry point needs, without Flask: settings, configuration, database, clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.catalogue import Catalogue, CatalogueError, load_procedures
from kiosk.config import Config, ConfigError, load_config
from kiosk.db import Database
from kiosk.domain.clock import Clock, SystemClock
from kiosk.settings import Settings


class SchemaError(Exception):
    pass


@dataclass
class Core:
    settings: Settings
    config: Config
    db: Database
    clock: Clock
    catalogue: Catalogue | None = None  # None: the config folder has no procedures.yaml

    @classmethod
    def from_env(cls, clock: Clock | None = None, **overrides: Any) -> Core:
        settings = Settings.from_env(**overrides)
        config = load_config(settings.config_dir)
        try:
            catalogue = load_procedures(settings.config_dir)
        except CatalogueError as exc:
            raise ConfigError(str(exc)) from None
        return cls(
            settings,
            config,
            Database(settings.database_url),
            clock or SystemClock(settings.timezone),
            catalogue,
        )

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
