"""Statements that work on a session or a bare connection alike: the dialect's ``INSERT``
construct, for ``ON CONFLICT … DO UPDATE`` upserts (PostgreSQL and SQLite both speak it), and
the connection under a session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def connection_of(s: Session | Connection) -> Connection:
    """The connection to run Core statements on: the session's (it joins the session's
    transaction) or the connection itself."""
    return s if isinstance(s, Connection) else s.connection()


def by_dialect(build: Callable[[Any], Any]) -> dict[str, Any]:
    """``build(insert)`` for each supported database, keyed by dialect name: for statements
    built once at import (``build`` gets ``postgresql.insert`` or ``sqlite.insert``)."""
    return {"postgresql": build(postgresql.insert), "sqlite": build(sqlite.insert)}


def insert_for(s: Session) -> Any:
    """``postgresql.insert`` or ``sqlite.insert``, whichever the session is bound to."""
    return postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
