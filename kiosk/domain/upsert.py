"""The dialect's ``INSERT`` construct, for ``ON CONFLICT … DO UPDATE`` upserts on the session's
database (PostgreSQL or SQLite: both speak it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(s: Session) -> Any:
    """``postgresql.insert`` or ``sqlite.insert``, whichever the session is bound to."""
    return postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
