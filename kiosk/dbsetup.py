"""Schema migrations (Alembic) and loading the configuration into the database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import select

from kiosk.config import Config
from kiosk.db import Database
from kiosk.models import CounterState

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """Migrate the schema to head (idempotent)."""
    if db.is_sqlite:
        Path(db.engine.url.database or "").parent.mkdir(parents=True, exist_ok=True)
    with db.engine.connect() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


def load_config(db: Database, cfg: Config) -> int:
    """Create the runtime rows the configuration needs (one per counter). Idempotent: rows of
    counters that left the configuration are kept (history refers to them)."""
    created = 0
    with db.transaction() as s:
        existing = set(s.execute(select(CounterState.site, CounterState.number)).all())
        for site in cfg.sites:
            for c in site.counters:
                if (site.code, c.number) not in existing:
                    s.add(
                        CounterState(
                            site=site.code, number=c.number, status="closed", normal_streak=0
                        )
                    )
                    created += 1
    return created
