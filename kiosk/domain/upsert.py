"""The dialect's ``INSERT`` construct, for ``INSERT … ON CONFLICT … DO UPDATE`` upserts
(PostgreSQL and SQLite both speak it; SQLAlchemy has one construct per dialect)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def by_dialect(build: Callable[[Any], Any]) -> dict[str, Any]:
    """``build(insert)`` for each supported database, keyed by dialect name: for statements
    built once at import (``build`` gets ``postgresql.insert`` or ``sqlite.insert``)."""
    return {"postgresql": build(postgresql.insert), "sqlite": build(sqlite.insert)}


def insert_for(s: Session) -> Any:
    """``postgresql.insert`` or ``sqlite.insert``, whichever the session is bound to."""
    return postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
