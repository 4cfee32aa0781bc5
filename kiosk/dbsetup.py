"""Schema migrations (Alembic) and loading the configuration into the database."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from kiosk.config import Config
from kiosk.db import Database, mark_auth_changed

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def private_sqlite_files(database: str) -> None:
    """The SQLite file holds people's tickets, ratings and the audit log: readable by its
    owner only (0600). Created so before SQLite opens it; SQLite gives its ``-wal`` and
    ``-shm`` files the database file's mode. Files left by an older version are tightened."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.chmod(f"{path}{suffix}", 0o600)
        except FileNotFoundError:
            continue


def upgrade(db: Database) -> None:
    """Migrate the schema to head (idempotent)."""
    if db.is_sqlite:
        private_sqlite_files(db.engine.url.database or "")
    with db.engine.connect() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


def load_config(db: Database, cfg: Config) -> int:
    """First run: store the files of ``cfg.folder`` as the live configuration, unless the
    database already holds one (what admins changed is never overwritten). Then create the
    runtime rows the live configuration needs (one per counter). Idempotent: rows of counters
    that left the configuration are kept (history refers to them). Returns the rows added."""
    from datetime import UTC, datetime

    from kiosk.config import read_documents
    from kiosk.domain import configuration

    with db.transaction() as s:
        if configuration.live_version(s) is None:
            docs = read_documents(cfg.folder)
            configuration.seed(s, datetime.now(UTC), docs, cfg.folder)
            mark_auth_changed(s)  # running servers take the stored configuration up
        live = configuration.build(configuration.read_documents(s), cfg.folder).config
        return configuration.ensure_counter_rows(s, live)


def seeded(db: Database) -> bool:
    """Whether the database holds a configuration (after the first init-db)."""
    from kiosk.domain import configuration

    with db.read() as s:
        return configuration.live_version(s) is not None
