"""Statements that work on a session or a bare connection alike: the dialect's ``INSERT``
construct, for ``ON CONFLICT … DO UPDATE`` upserts (PostgreSQL and SQLite both speak it), and
the connection under a session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def connection_of(s: Session | Connection) -> Connection:
    """The connection to run Core statements on: the session's (it joins the session's
    transaction) or the connection itself."""
    return s if isinstance(s, Connection) else s.connection()


def insert_for(s: Session) -> Any:
    """``postgresql.insert`` or ``sqlite.insert``, whichever the session is bound to."""
    return postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
