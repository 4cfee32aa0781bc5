"""Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kiosk.db import Database
from kiosk.dbsetup import upgrade
from kiosk.models import Base


def _check(url: str) -> None:
    db = Database(url)
    try:
        upgrade(db)
        upgrade(db)  # idempotent
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        db.dispose()


def test_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    _check(f"sqlite:///{tmp_path / 'm.sqlite3'}")


def test_postgresql(pg_url: str) -> None:
    _check(pg_url)
